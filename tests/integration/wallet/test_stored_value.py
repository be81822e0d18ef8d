"""Stored value against PostgreSQL: server-side pricing, the one-way switch, guard rails, special periods,
and a top-up order paid through services.orders.settlement.record_payment."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import local_today, now_utc
from domain.errors import Conflict, DomainError, NotFound, WalletFrozen
from domain.orders import Expected
from jobs.stored_value import pay_topup_instalments
from models import CouponCode, Merchant, Order, PointsTransaction, StoredValueSettings, Wallet, WalletTransaction
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.orders import orders, settlement
from services.wallet import stored_value, journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member)


def enabled(db, shop, **settings):
    stored_value.enable(db.session, shop["owner"])
    row = stored_value.settings_of(db.session, shop["merchant"].id)
    for name, value in settings.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def tier(db, owner, **overrides):
    values = dict(pay_amount=10000, bonus=1000, instalment_total=0, instalment_months=0, points=0, growth=0,
                  coupons=[], active=True, sort=0, starts_on=None, ends_on=None)
    values.update(overrides)
    rule = stored_value.save_rule(db.session, owner, None, **values)
    db.session.commit()
    return rule


def coupon(db, owner, **overrides):
    values = dict(kind="cash", title="满100减20", amount_off=2000, min_spend=10000, validity_mode="relative",
                  valid_days=30)
    values.update(overrides)
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def pay(db, merchant, order):
    paid = settlement.record_payment(db.session, merchant, order, amount=order.amount, currency="CNY", app_id="wx-app",
                                 merchant_no="mch-1", channel_trade_no="T" + order.out_trade_no, payer="openid-1",
                                 expected=Expected(order.amount, "CNY", "wx-app", "mch-1"))
    db.session.commit()
    return paid


def test_is_a_top_up_refused_until_stored_value_is_enabled(db, shop):
    rule = tier(db, shop["owner"])
    with pytest.raises(DomainError, match="暂未开通储值"):
        stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=rule.id)


def test_can_stored_value_never_be_turned_off_once_enabled(db, shop):
    enabled(db, shop)
    with pytest.raises(Conflict, match="已开启"):
        stored_value.enable(db.session, shop["owner"])
    db.session.rollback()
    stored_value.save_settings(db.session, shop["owner"], allow_custom_amount=True, custom_min=100,
                               custom_max=100000, nudge_mode="once", max_balance=500000, anonymous_max_face=100000,
                               real_name_threshold=1000000, enabled=False)
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalars(select(StoredValueSettings).where(
        StoredValueSettings.merchant_id == shop["merchant"].id)).one()
    assert row.enabled and row.enabled_at is not None and row.nudge_mode == "once"


def test_does_the_quote_come_from_the_tier_whatever_amount_the_browser_claims(db, shop):
    enabled(db, shop)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=1000)
    amount, items = stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=rule.id)
    assert amount == 10000 and items["principal"] == 10000 and items["bonus"] == 1000
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:forged", rule_id=rule.id)
    assert order.amount == 10000  # there is no parameter through which a browser's amount could arrive


def test_is_a_tier_of_another_merchant_refused(db, make, shop):
    enabled(db, shop)
    other = make.merchant()
    other_owner = make.staff(other, role="owner")
    foreign = tier(db, other_owner)
    with pytest.raises(DomainError, match="已失效"):
        stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=foreign.id)


def test_can_a_tier_give_another_merchants_coupon(db, make, shop):
    other = make.merchant()
    foreign = coupon(db, make.staff(other, role="owner"))
    with pytest.raises(NotFound):
        tier(db, shop["owner"], coupons=[{"template_id": foreign.id, "count": 1}])


def test_do_special_period_tiers_replace_the_regular_ones_today(db, shop):
    enabled(db, shop)
    regular = tier(db, shop["owner"], pay_amount=10000, bonus=1000)
    today = local_today(shop["merchant"].timezone)
    holiday = tier(db, shop["owner"], pay_amount=10000, bonus=3000, starts_on=today, ends_on=today + timedelta(days=2))
    assert [r.id for r in stored_value.rules_in_force(db.session, shop["merchant"])] == [holiday.id]
    with pytest.raises(DomainError, match="已失效"):
        stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=regular.id)
    later = now_utc() + timedelta(days=3)
    assert [r.id for r in stored_value.rules_in_force(db.session, shop["merchant"], later)] == [regular.id]


def test_is_a_top_up_refused_when_the_balance_would_pass_the_named_card_cap(db, make, shop):
    enabled(db, shop, max_balance=50000)
    make.wallet(shop["merchant"], shop["member"], principal=40000)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=1000)
    with pytest.raises(Conflict, match="超过上限 500"):
        stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                        key="topup:cap", rule_id=rule.id)


def test_is_a_top_up_refused_when_the_wallet_is_frozen(db, make, shop):
    enabled(db, shop)
    purse = make.wallet(shop["merchant"], shop["member"])
    wallet.set_frozen(db.session, shop["merchant"].id, purse.id, True, key="freeze:1")
    rule = tier(db, shop["owner"])
    with pytest.raises(WalletFrozen):
        stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=rule.id)


def test_is_a_custom_amount_priced_within_the_merchants_range(db, shop):
    enabled(db, shop, allow_custom_amount=True, custom_min=1000, custom_max=20000)
    amount, items = stored_value.quote(db.session, shop["merchant"], shop["member"], custom_amount=12345)
    assert amount == 12345 and items["bonus"] == 0 and items["rule_id"] is None
    with pytest.raises(DomainError, match="10 到 200"):
        stored_value.quote(db.session, shop["merchant"], shop["member"], custom_amount=20001)


def test_is_a_tier_whose_coupon_ran_out_refused_before_payment(db, shop):
    enabled(db, shop)
    template = coupon(db, shop["owner"], stock_total=1)
    rule = tier(db, shop["owner"], coupons=[{"template_id": template.id, "count": 2}])
    with pytest.raises(Conflict, match="赠券已领完"):
        stored_value.quote(db.session, shop["merchant"], shop["member"], rule_id=rule.id)


def test_is_the_order_created_with_the_servers_items(db, shop):
    enabled(db, shop)
    template = coupon(db, shop["owner"])
    rule = tier(db, shop["owner"], pay_amount=100000, bonus=10000, instalment_total=90000, instalment_months=9,
                points=200, growth=30, coupons=[{"template_id": template.id, "count": 2}])
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="alipay",
                                            key="topup:items", rule_id=rule.id)
    db.session.commit()
    assert (order.kind, order.state, order.channel, order.amount) == ("topup", "created", "alipay", 100000)
    assert order.items["principal"] == 100000 and order.items["bonus"] == 10000
    assert order.items["coupons"] == [{"template_id": template.id, "count": 2}]
    assert order.items["instalments"]["schedule"] == [10000] * 9
    again = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="alipay",
                                            key="topup:items", rule_id=rule.id)
    assert again.id == order.id


def test_does_paying_twice_credit_principal_and_bonus_and_grant_coupons_and_points_once(db, shop):
    enabled(db, shop)
    template = coupon(db, shop["owner"])
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=1000, points=200,
                coupons=[{"template_id": template.id, "count": 2}])
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:pay", rule_id=rule.id)
    db.session.commit()
    assert pay(db, shop["merchant"], order) is True
    assert pay(db, shop["merchant"], order) is False
    db.session.expire_all()
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    assert (purse.principal, purse.bonus) == (10000, 1000)
    assert wallet.journal_balance(db.session, purse.id) == (10000, 1000)
    assert db.session.scalar(select(func.count(CouponCode.id)).where(
        CouponCode.member_id == shop["member"].id, CouponCode.template_id == template.id)) == 2
    assert db.session.scalar(select(func.coalesce(func.sum(PointsTransaction.amount), 0)).where(
        PointsTransaction.member_id == shop["member"].id)) == 200
    assert db.session.get(Order, order.id).state == "fulfilled"


def test_do_eight_concurrent_notifications_for_one_top_up_credit_once(app, db, shop):
    enabled(db, shop)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=1000)
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:race", rule_id=rule.id)
    db.session.commit()
    merchant_id, order_id, member_id = shop["merchant"].id, order.id, shop["member"].id

    def notify(session, index):
        merchant, target = session.get(Merchant, merchant_id), session.get(Order, order_id)
        return settlement.record_payment(session, merchant, target, amount=target.amount, currency="CNY",
                                     app_id="wx-app", merchant_no="mch-1", channel_trade_no="T1", payer="o1",
                                     expected=Expected(target.amount, "CNY", "wx-app", "mch-1"))

    results, errors = run_concurrently(app, 8, notify)
    assert results.count(True) == 1 and len(results) + len(errors) == 8
    db.session.expire_all()
    purse = wallet.member_wallet(db.session, merchant_id, member_id)
    assert (purse.principal, purse.bonus) == (10000, 1000)
    assert db.session.scalar(select(func.count(WalletTransaction.id)).where(
        WalletTransaction.wallet_id == purse.id, WalletTransaction.kind == "credit")) == 1


def test_does_the_job_pay_each_due_instalment_once_as_months_pass(db, shop):
    enabled(db, shop)
    rule = tier(db, shop["owner"], pay_amount=100000, bonus=10000, instalment_total=90001, instalment_months=3)
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:instalments", rule_id=rule.id)
    db.session.commit()
    pay(db, shop["merchant"], order)
    paid_at = db.session.get(Order, order.id).paid_at
    purse_id = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id).id

    def bonus_after(days):
        pay_topup_instalments(db.session, now=paid_at + timedelta(days=days))
        db.session.expire_all()
        return db.session.get(Wallet, purse_id).bonus

    assert bonus_after(1) == 10000  # nothing due in the first month
    assert bonus_after(32) == 10000 + 30001
    assert bonus_after(33) == 10000 + 30001  # the same month again pays nothing more
    assert bonus_after(200) == 10000 + 90001  # a missed run catches up, fen for fen
    assert bonus_after(400) == 10000 + 90001
    assert wallet.journal_balance(db.session, purse_id) == (100000, 100001)


def test_does_a_paid_top_up_still_credit_the_balance_when_its_coupon_ran_out_meanwhile(db, shop):
    enabled(db, shop)
    template = coupon(db, shop["owner"], stock_total=2)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=1000, coupons=[{"template_id": template.id, "count": 2}])
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:ran-out", rule_id=rule.id)
    db.session.commit()
    # the last coupons go elsewhere between pricing and payment
    coupon_issue.claim(db.session, shop["merchant"], template.id, shop["member"].id, channel="staff", key="taken")
    db.session.commit()
    assert pay(db, shop["merchant"], order) is True
    db.session.expire_all()
    paid = db.session.get(Order, order.id)
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    assert paid.state == "fulfilled" and (purse.principal, purse.bonus) == (10000, 1000)
    assert len(paid.fulfilment["coupon_code_ids"]) == 1
    assert paid.fulfilment["coupons_not_granted"] == [{"template_id": template.id, "reason": "券已领完"}]


def test_does_a_paid_top_up_give_its_growth_and_move_the_member_up_a_level(db, make, shop):
    from services.members import levels
    enabled(db, shop)
    ladder = levels.list_levels(db.session, shop["merchant"].id)
    for level in ladder[1:]:
        level.min_spend = level.min_visits = level.min_topup = None
        level.min_growth = 50 * level.rank
    shop["member"].level = ladder[0]
    db.session.commit()
    target = ladder[1]
    target.min_growth = 50
    db.session.commit()
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=0, growth=50)
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:growth", rule_id=rule.id)
    db.session.commit()
    assert pay(db, shop["merchant"], order) is True and pay(db, shop["merchant"], order) is False
    db.session.expire_all()
    member = db.session.get(type(shop["member"]), shop["member"].id)
    assert (member.growth, member.total_topup, member.level_id) == (50, 10000, target.id)


def test_does_a_purchase_at_the_real_name_threshold_need_the_buyers_name(db, shop):
    enabled(db, shop, real_name_threshold=10000)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=0)
    shop["member"].name = None
    db.session.commit()
    with pytest.raises(orders.RealNameRequired, match="须实名"):
        stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                        key="topup:anon", rule_id=rule.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 0
    shop["member"].name = "张三"
    db.session.commit()
    order = stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                            key="topup:named", rule_id=rule.id)
    assert order.amount == 10000


def test_is_a_purchase_below_the_threshold_fine_without_a_name(db, shop):
    enabled(db, shop)  # default threshold ¥10,000
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=0)
    shop["member"].name = None
    db.session.commit()
    assert stored_value.create_topup_order(db.session, shop["merchant"], shop["member"].id, channel="wechat",
                                           key="topup:small", rule_id=rule.id).amount == 10000


def test_do_eight_taps_of_one_top_up_form_at_once_make_one_order(app, db, shop):
    enabled(db, shop)
    rule = tier(db, shop["owner"], pay_amount=10000, bonus=0)
    merchant_id, member_id, rule_id = shop["merchant"].id, shop["member"].id, rule.id

    def tap(session, index):
        return stored_value.create_topup_order(session, session.get(Merchant, merchant_id), member_id,
                                               channel="wechat", key="topup:double-tap", rule_id=rule_id).id

    results, errors = run_concurrently(app, 8, tap)
    assert errors == [] and len(set(results)) == 1
    assert db.session.scalar(select(func.count(Order.id))) == 1
