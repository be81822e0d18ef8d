"""Back office: the stored value switch and guard rails, top-up tiers and their editor, the orders list."""
from datetime import timedelta

import pytest

from domain import roles
from domain.clock import now_utc
from extensions import db
from models import StoredValueSettings, TopupRule
from services.coupons import templates as coupon_templates
from services.orders import orders as order_service
from services.wallet import stored_value
from tests.web.helpers import count, text_of

SETTINGS = {"custom_min": "10", "custom_max": "2000", "nudge_mode": "once", "max_balance": "5000",
            "anonymous_max_face": "1000", "real_name_threshold": "10000", "allow_custom_amount": "y"}
TIER = {"pay_amount": "100", "bonus": "10", "points": "200", "sort": "0", "active": "y"}


def settings_row(merchant):
    db.session.expire_all()
    return db.session.query(StoredValueSettings).filter_by(merchant_id=merchant.id).one_or_none()


def test_does_the_settings_page_show_the_guard_rail_defaults(as_owner):
    page = text_of(as_owner.get("/backoffice/stored-value"))
    assert "未开启" in page and 'value="5000.00"' in page and 'value="1000.00"' in page and 'value="10000.00"' in page


def test_is_enabling_without_the_confirmation_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/stored-value/enable", data={})
    assert response.status_code == 400 and "请确认储值开启后不能关闭" in text_of(response)
    assert settings_row(merchant) is None or not settings_row(merchant).enabled


def test_is_enabling_for_good_and_saving_settings_never_turns_it_off(as_owner, merchant):
    assert as_owner.post("/backoffice/stored-value/enable", data={"confirm": "y"}).status_code == 302
    assert settings_row(merchant).enabled
    again = as_owner.post("/backoffice/stored-value/enable", data={"confirm": "y"})
    assert again.status_code == 400 and "储值功能已开启" in text_of(again)
    saved = as_owner.post("/backoffice/stored-value", data={**SETTINGS, "enabled": ""})
    assert saved.status_code == 302, text_of(saved)
    row = settings_row(merchant)
    assert row.enabled and (row.custom_min, row.custom_max, row.max_balance) == (1000, 200000, 500000)
    assert row.nudge_mode == "once" and row.allow_custom_amount
    assert "开启后不能关闭" in text_of(as_owner.get("/backoffice/stored-value"))


@pytest.mark.parametrize("field,value,message", [
    ("custom_max", "5", "自定义金额上限不能低于下限"),
    ("max_balance", "", "请填写大于 0 的金额"),
    ("real_name_threshold", "abc", "金额须为"),
])
def test_are_bad_settings_refused_with_nothing_saved(as_owner, merchant, field, value, message):
    response = as_owner.post("/backoffice/stored-value", data={**SETTINGS, field: value})
    assert response.status_code == 400 and message in text_of(response)
    assert settings_row(merchant) is None or settings_row(merchant).nudge_mode == "off"


def test_can_a_manager_without_settings_permission_open_the_stored_value_settings(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/stored-value").status_code == 403


def test_does_the_rules_list_preview_a_tier_with_its_coupons(as_owner, merchant, owner):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              min_spend=10000, validity_mode="relative", valid_days=30)
    db.session.commit()
    form = text_of(as_owner.get("/backoffice/stored-value/rules/new"))
    assert "满100减20" in form and "赠券 5" in form
    response = as_owner.post("/backoffice/stored-value/rules/new",
                             data={**TIER, "coupon_1": str(template.id), "count_1": "2"})
    assert response.status_code == 302, text_of(response)
    rule = db.session.query(TopupRule).filter_by(merchant_id=merchant.id).one()
    assert (rule.pay_amount, rule.bonus, rule.points) == (10000, 1000, 200)
    assert rule.coupons == [{"template_id": template.id, "count": 2}]
    assert "充 100 送 10，赠 200 积分，赠 2 张满100减20" in text_of(as_owner.get("/backoffice/stored-value/rules"))


def test_can_a_tier_be_edited_into_a_special_period(as_owner, merchant, owner):
    rule = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=0, instalment_total=0,
                                  instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    db.session.commit()
    edit = f"/backoffice/stored-value/rules/{rule.id}/edit"
    assert 'value="100.00"' in text_of(as_owner.get(edit))
    response = as_owner.post(edit, data={**TIER, "instalment_total": "900", "instalment_months": "9",
                                         "starts_on": "2030-10-01", "ends_on": "2030-10-07"})
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    rule = db.session.get(TopupRule, rule.id)
    assert (rule.instalment_total, rule.instalment_months, rule.starts_on.isoformat()) == (90000, 9, "2030-10-01")
    assert "活动期 2030-10-01 至 2030-10-07" in text_of(as_owner.get("/backoffice/stored-value/rules"))


@pytest.mark.parametrize("extra,message", [
    ({"pay_amount": ""}, "请填写大于 0 的金额"),
    ({"instalment_total": "900"}, "分期返还须同时填写金额和月数"),
    ({"starts_on": "2030-10-07", "ends_on": "2030-10-01"}, "活动期结束日期不能早于开始日期"),
    ({"coupon_1": "900001", "count_1": "1"}, "不是有效的选择"),
])
def test_is_a_bad_tier_refused_with_nothing_saved(as_owner, merchant, extra, message):
    response = as_owner.post("/backoffice/stored-value/rules/new", data={**TIER, **extra})
    assert response.status_code == 400 and message in text_of(response)
    assert count(TopupRule, TopupRule.merchant_id == merchant.id) == 0


def test_is_another_merchants_tier_a_404(as_owner, make):
    other = make.merchant()
    rule = stored_value.save_rule(db.session, make.staff(other), None, pay_amount=10000, bonus=0,
                                  instalment_total=0, instalment_months=0, points=0, growth=0, coupons=[],
                                  active=True, sort=0, starts_on=None, ends_on=None)
    db.session.commit()
    assert as_owner.get(f"/backoffice/stored-value/rules/{rule.id}/edit").status_code == 404
    assert as_owner.post(f"/backoffice/stored-value/rules/{rule.id}/edit", data=TIER).status_code == 404


def order_of(merchant, member, key, channel="wechat", amount=10000, **fields):
    order = order_service.create(db.session, merchant, member.id, kind="topup", channel=channel, amount=amount,
                                 description="储值充值", items={"principal": amount, "bonus": 0}, key=key, **fields)
    db.session.commit()
    return order


def test_does_the_orders_list_filter_and_mask_the_members_mobile(as_owner, merchant, make):
    member = make.member(merchant, mobile="13912345678")
    db.session.commit()
    wechat = order_of(merchant, member, "o:1", amount=12345)
    alipay = order_of(merchant, member, "o:2", channel="alipay")
    old = order_of(merchant, member, "o:3", now=now_utc() - timedelta(days=40))
    other_shop = make.merchant()
    foreign = order_of(other_shop, make.member(other_shop), "o:4")
    page = text_of(as_owner.get("/backoffice/orders"))
    assert "139****5678" in page and "13912345678" not in page and "¥123.45" in page
    assert f'data-order-id="{wechat.id}"' in page and f'data-order-id="{foreign.id}"' not in page
    only_alipay = text_of(as_owner.get("/backoffice/orders?channel=alipay"))
    assert f'data-order-id="{alipay.id}"' in only_alipay and f'data-order-id="{wechat.id}"' not in only_alipay
    today = now_utc().date()
    recent = text_of(as_owner.get(f"/backoffice/orders?date_from={(today - timedelta(days=2)).isoformat()}"))
    assert f'data-order-id="{old.id}"' not in recent and f'data-order-id="{wechat.id}"' in recent
    assert "没有符合条件的订单" in text_of(as_owner.get("/backoffice/orders?state=refunded"))
    assert as_owner.get("/backoffice/orders?state=bogus&date_from=not-a-date").status_code == 200


def test_can_a_cashier_see_orders_but_not_edit_tiers(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/orders").status_code == 200
    assert client.get("/backoffice/stored-value/rules").status_code == 403
    assert client.post("/backoffice/stored-value/rules/new", data=TIER).status_code == 403
