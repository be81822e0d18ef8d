"""Back office: creating and editing a member, with the merchant's industry fields."""
from datetime import date

import pytest

from domain import roles
from models import AuditLog, Member, Tag
from services.members import fields as member_fields, members as member_service
from tests.web.helpers import count, fresh, text_of


@pytest.fixture()
def fields(db, owner):
    made = [
        member_fields.save_field(db.session, owner, None, key="taste", label="口味偏好", field_type="select",
                                 options_text="美式,拿铁", required=True, position=1),
        member_fields.save_field(db.session, owner, None, key="company", label="公司", field_type="text", position=2),
        member_fields.save_field(db.session, owner, None, key="height", label="身高", field_type="number", position=3),
        member_fields.save_field(db.session, owner, None, key="joined_gym", label="入馆日期", field_type="date",
                                 position=4),
        member_fields.save_field(db.session, owner, None, key="smoker", label="吸烟", field_type="boolean", position=5),
    ]
    db.session.commit()
    return made


def member_by_mobile(merchant, mobile):
    from extensions import db

    db.session.expire_all()
    return member_service.find_by_mobile(db.session, merchant.id, mobile)


def test_does_the_form_render_each_industry_field_by_type(as_owner, fields):
    body = text_of(as_owner.get("/backoffice/members/new"))
    assert '<select class="weui-select" id="cf_taste" name="cf_taste" required>' in body
    assert 'name="cf_height" inputmode="decimal"' in body
    assert 'type="date" id="cf_joined_gym"' in body
    assert 'class="weui-switch" type="checkbox" id="cf_smoker"' in body
    assert "口味偏好" in body and "bo-required" in body


def test_can_staff_create_a_member_with_every_attribute(as_owner, make, db, merchant, store, fields):
    guide = make.staff(merchant, role=roles.GUIDE, username="guide1", stores_=[store])
    referrer = make.member(merchant, mobile="13900000001", name="老会员", custom_fields={"taste": "美式"})
    vip = member_service.ensure_tag(db.session, merchant.id, "VIP")
    db.session.commit()
    response = as_owner.post("/backoffice/members/new", data={
        "mobile": "+86 138-0013-8000", "name": "张伟", "gender": "male", "birthday": "1990-03-12",
        "home_store_id": str(store.id), "guide_id": str(guide.id), "referrer_mobile": "139 0000 0001",
        "tag_ids": [str(vip.id)], "new_tag": "白领",
        "cf_taste": "拿铁", "cf_company": "某公司", "cf_height": "175.5", "cf_joined_gym": "2024-01-02", "cf_smoker": "1",
    })
    assert response.status_code == 302, text_of(response)
    member = member_by_mobile(merchant, "13800138000")
    assert response.location.endswith(f"/backoffice/members/{member.id}")
    assert (member.name, member.gender, member.birthday, member.birthday_month) == ("张伟", "male", date(1990, 3, 12), 3)
    assert (member.home_store_id, member.guide_id, member.referrer_id) == (store.id, guide.id, referrer.id)
    assert sorted(t.name for t in member.tags) == ["VIP", "白领"]
    assert member.custom_fields == {"taste": "拿铁", "company": "某公司", "height": "175.5",
                                    "joined_gym": "2024-01-02", "smoker": True}
    assert member.level.name == "普通"
    assert count(AuditLog, AuditLog.action == "member.create", AuditLog.target_id == str(member.id)) == 1


@pytest.mark.parametrize("data, message", [
    ({"mobile": "12345"}, "请输入正确的 11 位手机号"),
    ({"mobile": ""}, "请填写手机号"),
    ({"mobile": "1" * 21}, "请输入正确的 11 位手机号"),
    ({"name": "名" * 61}, "姓名不能超过 60 个字"),
    ({"birthday": "1990-13-01"}, "不是有效的日期"),
    ({"birthday": "2999-01-01"}, "生日不正确"),
    ({"referrer_mobile": "13911112222"}, "没有找到该手机号的会员"),
    ({"referrer_mobile": "abc"}, "请输入正确的 11 位手机号"),
    ({"new_tag": "签" * 31}, "标签名不能超过 30 个字"),
    ({"cf_taste": ""}, "请填写口味偏好"),
    ({"cf_taste": "奶茶"}, "口味偏好：不是可选的值"),
    ({"cf_height": "高"}, "身高：须为数字"),
    ({"cf_company": "司" * 201}, "公司：不能超过 200 个字符"),
    ({"gender": "robot"}, "不是有效的选择"),
])
def test_is_bad_input_refused_with_a_clear_message_and_nothing_saved(as_owner, merchant, fields, data, message):
    posted = {"mobile": "13800138000", "name": "张伟", "gender": "unknown", "cf_taste": "美式", "new_tag": "新标签"}
    posted.update(data)
    response = as_owner.post("/backoffice/members/new", data=posted)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(Member, Member.merchant_id == merchant.id) == 0
    assert count(Tag, Tag.merchant_id == merchant.id) == 0


def test_is_a_mobile_number_that_is_already_a_member_refused(as_owner, make, db, merchant):
    make.member(merchant, mobile="13800138000")
    db.session.commit()
    response = as_owner.post("/backoffice/members/new", data={"mobile": "13800138000", "gender": "unknown"})
    assert response.status_code == 400
    assert "该手机号已是会员" in text_of(response)
    assert count(Member, Member.merchant_id == merchant.id) == 1


def test_can_staff_edit_a_member_and_disable_them(as_owner, make, db, merchant, fields):
    member = make.member(merchant, mobile="13800138000", name="张伟", custom_fields={"taste": "美式"})
    db.session.commit()
    form = text_of(as_owner.get(f"/backoffice/members/{member.id}/edit"))
    assert 'value="13800138000"' in form and '<option value="美式" selected>' in form
    response = as_owner.post(f"/backoffice/members/{member.id}/edit", data={
        "mobile": "13800138009", "name": "张伟伟", "gender": "female", "status": "disabled", "cf_taste": "拿铁"})
    assert response.status_code == 302
    member = fresh(member)
    assert (member.mobile, member.name, member.gender, member.status) == ("13800138009", "张伟伟", "female", "disabled")
    assert member.custom_fields == {"taste": "拿铁", "smoker": False}
    assert count(AuditLog, AuditLog.action == "member.update", AuditLog.target_id == str(member.id)) == 1


def test_is_an_edit_to_another_members_mobile_refused_without_change(as_owner, make, db, merchant):
    member = make.member(merchant, mobile="13800138000", name="张伟")
    make.member(merchant, mobile="13800138001")
    db.session.commit()
    response = as_owner.post(f"/backoffice/members/{member.id}/edit", data={
        "mobile": "13800138001", "name": "新名字", "gender": "unknown", "status": "active"})
    assert response.status_code == 400
    assert "该手机号已被其他会员使用" in text_of(response)
    assert (fresh(member).mobile, fresh(member).name) == ("13800138000", "张伟")


def test_is_a_member_that_a_guide_creates_their_own_customer(sign_in_as, client, make, db, merchant, store):
    other_guide = make.staff(merchant, role=roles.GUIDE, username="guide2", stores_=[store])
    db.session.commit()
    guide = sign_in_as(roles.GUIDE, stores_=[store])
    response = client.post("/backoffice/members/new", data={
        "mobile": "13800138000", "gender": "unknown", "guide_id": str(other_guide.id)})
    assert response.status_code == 302
    member = member_by_mobile(merchant, "13800138000")
    assert member.guide_id == guide.id
    assert client.get(response.location).status_code == 200
