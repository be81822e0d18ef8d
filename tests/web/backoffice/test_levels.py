"""Back office: member levels, and re-evaluation of members after thresholds change."""
import pytest

from models import Level
from services.members import levels as level_service
from tests.web.helpers import count, fresh, text_of


def level_named(merchant, name):
    from extensions import db

    db.session.expire_all()
    return db.session.query(Level).filter_by(merchant_id=merchant.id, name=name).one()


def test_does_the_level_list_show_thresholds_discount_and_multiplier(as_owner):
    body = text_of(as_owner.get("/backoffice/levels"))
    assert "普通" in body and "银卡" in body and "金卡" in body
    assert "无折扣" in body and "9.5折" in body and "8.8折" in body
    assert "1.2倍" in body and "1.5倍" in body
    assert "¥1000.00" in body and "10 次" in body and "¥2000.00" in body


def test_can_an_owner_create_a_level_with_yuan_thresholds_and_a_discount_in_zhe(as_owner, merchant):
    assert as_owner.get("/backoffice/levels/new").status_code == 200
    response = as_owner.post("/backoffice/levels/new", data={
        "rank": "4", "name": "钻石卡", "min_spend": "10000", "min_visits": "", "min_topup": "5,000.5",
        "discount": "8.5", "multiplier": "2", "benefits_note": "专属客服"})
    assert response.status_code == 302
    level = level_named(merchant, "钻石卡")
    assert (level.rank, level.min_spend, level.min_visits, level.min_topup) == (4, 1000000, None, 500050)
    assert (level.discount_percent, level.points_multiplier_tenths, level.benefits_note) == (85, 20, "专属客服")
    assert "达到新门槛的会员正在自动升级" in text_of(as_owner.get(response.location))


def test_can_a_level_require_growth_and_does_a_member_with_enough_growth_move_up(as_owner, make, db, merchant):
    member = make.member(merchant)
    member.growth = 300
    db.session.commit()
    response = as_owner.post("/backoffice/levels/new", data={
        "rank": "5", "name": "成长之星", "min_growth": "300", "discount": "9", "multiplier": "1"})
    assert response.status_code == 302
    level = level_named(merchant, "成长之星")
    assert level.min_growth == 300 and fresh(member).level.name == "成长之星"
    assert "300" in text_of(as_owner.get("/backoffice/levels"))
    assert "成长值" in text_of(as_owner.get(f"/backoffice/members/{member.id}"))


def test_does_the_edit_form_show_yuan_and_zhe(as_owner, merchant):
    silver = level_named(merchant, "银卡")
    body = text_of(as_owner.get(f"/backoffice/levels/{silver.id}/edit"))
    assert 'value="1000.00"' in body and 'value="9.5"' in body and 'value="1.2"' in body


def test_does_lowering_a_threshold_upgrade_members_who_now_qualify(as_owner, make, db, merchant):
    member = make.member(merchant)
    member.total_spend = 60000  # ¥600: below silver's ¥1000
    db.session.commit()
    assert member.level.name == "普通"
    silver = level_named(merchant, "银卡")
    response = as_owner.post(f"/backoffice/levels/{silver.id}/edit", data={
        "rank": "2", "name": "银卡", "min_spend": "500", "min_visits": "10", "discount": "9.5", "multiplier": "1.2"})
    assert response.status_code == 302
    assert fresh(member).level.name == "银卡"
    assert [c.reason for c in level_service.history_of(db.session, merchant.id, member.id)][0] == "auto"


@pytest.mark.parametrize("field, value, message", [
    ("discount", "9.55", "折扣须为 0.1 到 10 之间、最多一位小数的数字"),
    ("discount", "11", "折扣须为 0.1 到 10 之间、最多一位小数的数字"),
    ("discount", "0", "折扣须为 0.1 到 10 之间、最多一位小数的数字"),
    ("discount", "九五", "折扣须为 0.1 到 10 之间、最多一位小数的数字"),
    ("multiplier", "10.5", "积分倍数须为 0 到 10 之间、最多一位小数的数字"),
    ("min_spend", "12.345", "金额须为不超过两位小数的非负数"),
    ("min_spend", "-1", "金额须为不超过两位小数的非负数"),
    ("min_topup", "abc", "金额须为不超过两位小数的非负数"),
    ("min_visits", "ten", "不是有效的整数"),
    ("name", "名" * 41, "等级名称不能超过 40 个字"),
    ("benefits_note", "益" * 501, "权益说明不能超过 500 个字"),
    ("rank", "1001", "等级序号须在 0 到 1000 之间"),
])
def test_is_a_bad_level_value_refused_with_a_clear_message(as_owner, merchant, field, value, message):
    data = {"rank": "5", "name": "黑卡", "discount": "9", "multiplier": "1", field: value}
    response = as_owner.post("/backoffice/levels/new", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(Level, Level.merchant_id == merchant.id) == 3


def test_is_a_second_level_with_the_same_rank_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/levels/new", data={
        "rank": "2", "name": "新银卡", "discount": "9", "multiplier": "1"})
    assert response.status_code == 400
    assert "已有相同序号或名称的等级" in text_of(response)
    assert count(Level, Level.merchant_id == merchant.id) == 3
