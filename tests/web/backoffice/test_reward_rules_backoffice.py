"""Back office: 支付后营销 and 会员消费优惠券 rules — add, edit, copy, enable/disable, refuse bad input."""
import pytest

from extensions import db
from models import AuditLog
from models.rewards import RewardRule
from services.coupons import templates as coupon_templates
from tests.web.helpers import count, text_of


@pytest.fixture()
def coupon(owner):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              min_spend=10000, validity_mode="relative", valid_days=30)
    db.session.commit()
    return template


def form(**values):
    return {"kind": "post_payment", "name": "消费有礼", "all_stores": "y", "min_paid": "50", "points": "10",
            "active": "y", **values}


def test_can_an_owner_add_a_rule_with_coupons_and_see_it_listed(as_owner, coupon):
    response = as_owner.post("/backoffice/reward-rules/new", data=form(coupon_0=str(coupon.id), count_0="2"))
    assert response.status_code == 302
    rule = db.session.query(RewardRule).one()
    assert rule.min_paid == 5000 and rule.rewards["coupons"] == [{"template_id": coupon.id, "count": 2}]
    page = text_of(as_owner.get("/backoffice/reward-rules"))
    assert "消费有礼" in page and "实付满 ¥50" in page and "10 积分" in page
    assert count(AuditLog) >= 1


def test_can_a_receipt_coupon_rule_be_saved_with_one_coupon_only(as_owner, coupon):
    data = form(kind="receipt_coupon", name="会员消费优惠券", min_paid="100", points="", coupon_0=str(coupon.id))
    assert as_owner.post("/backoffice/reward-rules/new", data=data).status_code == 302
    refused = as_owner.post("/backoffice/reward-rules/new", data={**data, "points": "5"})
    assert refused.status_code == 400 and "只能选择一种优惠券" in text_of(refused)
    assert count(RewardRule) == 1


def test_can_a_rule_be_copied_disabled_and_edited(as_owner):
    as_owner.post("/backoffice/reward-rules/new", data=form())
    rule = db.session.query(RewardRule).one()
    assert as_owner.post(f"/backoffice/reward-rules/{rule.id}/copy").status_code == 302
    copy = db.session.query(RewardRule).filter(RewardRule.id != rule.id).one()
    assert copy.name == "消费有礼-副本" and copy.active is False and copy.rewards == rule.rewards
    assert as_owner.post(f"/backoffice/reward-rules/{rule.id}/disable").status_code == 302
    db.session.refresh(rule)
    assert rule.active is False
    edited = as_owner.post(f"/backoffice/reward-rules/{rule.id}/edit", data=form(name="满百送积分", points="20"))
    assert edited.status_code == 302
    db.session.refresh(rule)
    assert (rule.name, rule.rewards["points"], rule.active) == ("满百送积分", 20, True)


@pytest.mark.parametrize("values, message", [
    ({"min_paid": ""}, "请填写实付金额门槛"),
    ({"min_paid": "abc"}, "金额"),
    ({"points": "", "growth": ""}, "请至少设置一项奖励"),
    ({"all_stores": ""}, "请选择适用门店"),
    ({"coupon_0": "999999"}, "不是有效的选择"),
    ({"count_0": "11"}, "张数须在 1 到 10 之间"),
    ({"per_member_limit": "0"}, "次数须在 1 到 10000 之间"),
    ({"starts_on": "2031-01-05", "ends_on": "2031-01-01"}, "结束日期"),
])
def test_is_bad_input_refused_with_nothing_saved(as_owner, values, message):
    data = {k: v for k, v in form(**values).items() if v != ""}
    response = as_owner.post("/backoffice/reward-rules/new", data=data)
    assert response.status_code == 400 and message in text_of(response)
    assert count(RewardRule) == 0


def test_is_a_cashier_refused_the_rules(sign_in_as, client):
    sign_in_as("cashier")
    assert client.get("/backoffice/reward-rules").status_code in (302, 403)
    assert client.post("/backoffice/reward-rules/new", data=form()).status_code in (302, 403)
    assert count(RewardRule) == 0


def test_is_another_merchants_rule_not_found(as_owner, make):
    other = make.merchant()
    foreign = RewardRule(merchant_id=other.id, kind="post_payment", name="别家", min_paid=0, rewards={"points": 1})
    db.session.add(foreign)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reward-rules/{foreign.id}/edit").status_code == 404
    assert as_owner.post(f"/backoffice/reward-rules/{foreign.id}/copy").status_code == 404
    assert as_owner.post(f"/backoffice/reward-rules/{foreign.id}/enable").status_code == 404
