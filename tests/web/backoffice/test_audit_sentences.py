"""Audit entries read as sentences (issue 21, item 7): the presenter alone, then the member page and the 操作日志."""
from backoffice.audit_sentences import Names, action_label, sentences
from services.members import fields as member_fields, members as member_service
from tests.web.helpers import text_of

NAMES = Names(stores={1: "人民广场店", 2: "陆家嘴店"}, staff={5: "孙导购"}, tags={1: "VIP"},
              member_fields={"taste": "口味偏好"})


def test_does_a_changed_field_read_from_old_to_new():
    lines = sentences({"birthday": "1990-03-12"}, {"birthday": "1991-01-01"}, NAMES, "member")
    assert lines == ["生日 从 1990-03-12 改为 1991-01-01"]


def test_does_a_custom_field_use_the_merchants_own_label():
    lines = sentences({"custom_fields": {"taste": "拿铁"}}, {"custom_fields": {"taste": "美式"}}, NAMES, "member")
    assert lines == ["自定义字段 口味偏好 从 拿铁 改为 美式"]


def test_are_ids_codes_and_money_shown_in_words():
    lines = sentences({"home_store_id": 1, "gender": "unknown", "guide_id": None, "tag_ids": []},
                      {"home_store_id": 2, "gender": "female", "guide_id": 5, "tag_ids": [1]}, NAMES, "member")
    assert lines == ["所属门店 从 人民广场店 改为 陆家嘴店", "性别 从 未知 改为 女", "专属导购 从 空 改为 孙导购",
                     "标签 从 空 改为 VIP"]
    assert sentences({"min_spend": 100000, "active": True}, {"min_spend": 50000, "active": False}, NAMES) == [
        "升级条件：累计消费 从 ¥1000.00 改为 ¥500.00", "启用 从 是 改为 否"]


def test_does_a_new_record_list_what_it_was_given_without_empty_fields():
    lines = sentences(None, {"mobile": "13800138001", "name": "张伟", "referrer_id": None, "birthday": None,
                             "starts_on": "None"}, NAMES, "member")
    assert lines == ["手机号：13800138001", "姓名：张伟"]


def test_are_secrets_internal_fields_and_nested_settings_never_dumped():
    lines = sentences({"wechat_app_secret": "old", "schedule": {"hour": 9}, "budget_points": 10},
                      {"wechat_app_secret": "new", "schedule": {"hour": 10}, "budget_points": 20}, NAMES)
    text = "\n".join(lines)
    assert "old" not in text and "new" not in text and "hour" not in text and "budget" not in text
    assert "执行规则 已修改" in text and "另有 1 项设置已修改" in text


def test_is_every_action_named_in_chinese():
    assert action_label("member.update") == "修改会员资料"
    assert action_label("campaign.switch_on") == "修改营销活动"
    assert action_label("something.new") == "其他操作"


def test_does_the_member_page_show_its_changes_as_sentences_not_json(as_owner, make, db, merchant, owner):
    member_fields.save_field(db.session, owner, None, key="taste", label="口味偏好", field_type="select",
                             options_text="美式,拿铁")
    member = make.member(merchant, mobile="13800138000", name="张伟", custom_fields={"taste": "拿铁"}, actor=owner)
    member.birthday = None
    db.session.flush()
    member_service.update_member(db.session, owner, member, mobile="13800138000", name="张伟",
                                 birthday=__import__("datetime").date(1991, 1, 1), custom_fields={"taste": "美式"})
    db.session.commit()
    body = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "生日 从 空 改为 1991-01-01" in body
    assert "自定义字段 口味偏好 从 拿铁 改为 美式" in body
    assert '"birthday"' not in body and "&#34;birthday&#34;" not in body and "custom_fields" not in body


def test_does_the_audit_log_page_show_sentences(as_owner, db, merchant, owner):
    as_owner.post("/backoffice/stores/new", data={"name": "陆家嘴店", "active": "y"})
    body = text_of(as_owner.get("/backoffice/audit"))
    assert "新增门店" in body and "名称：陆家嘴店" in body and "&#34;" not in body
