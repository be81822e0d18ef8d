"""门店充值 against PostgreSQL: cash and bank card taken by hand, payment codes through the sandbox's WeChat Pay and
Alipay, under the online tiers (bonus, coupons, points, growth, instalments); one top-up per key even when two
arrive at once; the store and staff member on the order, the attribution and the prepaid report; refunds by hand
and through the channel."""
import pytest
from sqlalchemy import func, select

from domain.errors import DomainError, IdempotencyMismatch, NotFound, PermissionDenied, WalletFrozen
from models import (Attribution, CouponCode, Member, Merchant, Order, OrderRefund, PointsTransaction, Staff, Wallet,
                    WalletTransaction)
from sandbox import paycodes, wechat_state as sbx
from sandbox.alipay_keys import provision_merchant
from services.coupons import templates as coupon_templates
from services.orders import refunds
from services.till import channels as till_channels
from services.wallet import counter_topup, prepaid_report, stored_value
from domain.clock import local_today
from tests.integration.helpers import run_concurrently


@pytest.fixture(autouse=True)
def quick(app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))
    monkeypatch.setitem(app.config, "SANDBOX_PASSWORD_SECONDS", 0.3)


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="充值咖啡")
    owner = make.staff(merchant, role="owner")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier = make.staff(merchant, role="cashier", stores_=[east])
    verifier = make.staff(merchant, role="verifier", stores_=[east])
    member = make.member(merchant, mobile="13900001111", name="王小明")
    stored_value.enable(db.session, owner)
    settings = stored_value.settings_of(db.session, merchant.id)
    settings.allow_custom_amount, settings.custom_min, settings.custom_max = True, 1000, 500000
    coupon = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                            min_spend=10000, validity_mode="relative", valid_days=30)
    tier = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=1200,
                                  instalment_months=3, points=50, growth=30,
                                  coupons=[{"template_id": coupon.id, "count": 2}], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, east=east, west=west, cashier=cashier, verifier=verifier,
                member=member, tier=tier, coupon=coupon)


def by_hand(db, shop, tender="cash", key="k1", actor=None, **choice):
    choice = choice or {"rule_id": shop["tier"].id}
    order = counter_topup.take_by_hand(db.session, shop["merchant"], actor or shop["cashier"],
                                       store_id=shop["east"].id, member_id=shop["member"].id, tender=tender, key=key,
                                       **choice)
    db.session.commit()
    return order


def purse(db, shop):
    db.session.expire_all()
    return db.session.scalars(select(Wallet).where(Wallet.member_id == shop["member"].id)).one()


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_does_a_cash_top_up_give_what_the_tier_gives_online_with_store_and_staff(db, shop):
    order = by_hand(db, shop)
    assert (order.kind, order.channel, order.state, order.amount) == ("topup", "cash", "fulfilled", 10000)
    assert (order.store_id, order.staff_id) == (shop["east"].id, shop["cashier"].id)
    wallet = purse(db, shop)
    assert (wallet.principal, wallet.bonus) == (10000, 1000)
    assert count(db, CouponCode, CouponCode.member_id == shop["member"].id) == 2
    assert db.session.scalar(select(func.sum(PointsTransaction.amount)).where(
        PointsTransaction.member_id == shop["member"].id)) == 50
    member = db.session.get(Member, shop["member"].id)
    assert (member.growth, member.total_topup) == (30, 10000)
    credit = db.session.scalars(select(WalletTransaction).where(WalletTransaction.kind == "credit")).one()
    assert (credit.store_id, credit.note) == (shop["east"].id, "门店充值")
    assert order.items["instalments"]["months"] == 3 and stored_value.instalment_orders(db.session) == [order.id]
    touch = db.session.scalars(select(Attribution).where(Attribution.event == "topup")).one()
    assert (touch.staff_id, touch.store_id, touch.member_id, touch.amount) == \
        (shop["cashier"].id, shop["east"].id, shop["member"].id, 10000)
    assert (touch.reference_kind, touch.reference_id) == ("order", order.id)
    printed = counter_topup.receipt(db.session, order)
    assert (printed["principal"], printed["bonus"], printed["balance_after"]) == (10000, 1000, 11000)
    assert (printed["store"], printed["staff"], printed["tender_label"]) == ("东门店", shop["cashier"].name, "现金")
    assert printed["coupons"] == [{"title": "满100减20", "count": 2, "granted": True}]
    assert printed["points"] == 50 and printed["instalments"] == {"total": 1200, "months": 3}


def test_does_a_bank_card_top_up_of_a_custom_amount_have_no_gifts(db, shop):
    order = by_hand(db, shop, tender="bankcard", custom_amount=23456)
    assert (order.channel, order.amount, order.state) == ("bankcard", 23456, "fulfilled")
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (23456, 0)
    assert count(db, CouponCode) == 0


def test_does_a_double_submit_take_one_top_up(db, shop):
    first = by_hand(db, shop)
    again = by_hand(db, shop)
    assert again.id == first.id and count(db, Order) == 1
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (10000, 1000)
    with pytest.raises(IdempotencyMismatch):
        by_hand(db, shop, tender="bankcard")  # the same key for another request is refused, not replayed


def test_do_two_submits_at_once_with_one_key_take_one_top_up(app, db, shop):
    ids = dict(merchant=shop["merchant"].id, cashier=shop["cashier"].id, store=shop["east"].id,
               member=shop["member"].id, tier=shop["tier"].id)

    def submit(session, _index):
        return counter_topup.take_by_hand(session, session.get(Merchant, ids["merchant"]),
                                          session.get(Staff, ids["cashier"]), store_id=ids["store"],
                                          member_id=ids["member"], tender="cash", key="same", rule_id=ids["tier"]).id

    results, errors = run_concurrently(app, 4, submit)
    assert errors == [] and len(set(results)) == 1
    assert count(db, Order) == 1 and count(db, WalletTransaction, WalletTransaction.kind == "credit") == 1
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (10000, 1000)
    assert count(db, CouponCode) == 2 and count(db, Attribution) == 1


@pytest.mark.parametrize("tender", ["wechat", "alipay"])
def test_does_a_payment_code_top_up_charge_the_channel_and_refund_through_it(db, shop, live_server, tender):
    sbx.provision_account(db.session, shop["merchant"])
    provision_merchant(db.session, shop["merchant"])
    db.session.commit()
    step = counter_topup.take_by_code(db.session, shop["merchant"], shop["cashier"], store_id=shop["east"].id,
                                      member_id=shop["member"].id, tender=tender, key="code-1",
                                      auth_code=paycodes.new_code(tender), rule_id=shop["tier"].id)
    db.session.commit()
    order = step.order
    assert not step.waiting and (order.channel, order.state, order.amount) == (tender, "fulfilled", 10000)
    assert order.out_trade_no == till_channels.trade_number(shop["merchant"].id, "topup:code-1")
    assert order.channel_trade_no and order.staff_id == shop["cashier"].id
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (10000, 1000)
    again = counter_topup.take_by_code(db.session, shop["merchant"], shop["cashier"], store_id=shop["east"].id,
                                       member_id=shop["member"].id, tender=tender, key="code-1",
                                       auth_code=paycodes.new_code(tender), rule_id=shop["tier"].id)
    assert again.order.id == order.id and count(db, Order) == 1

    row = refunds.refund_order(db.session, shop["owner"], order.id, 10000, reason="顾客不充了", key="refund-1")
    db.session.commit()
    assert row.state == "succeeded" and row.channel_refund_id
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (0, 0)


@pytest.mark.parametrize("tender", ["wechat", "alipay"])
def test_does_a_payer_entering_the_password_wait_then_pay(db, shop, live_server, tender):
    sbx.provision_account(db.session, shop["merchant"])
    provision_merchant(db.session, shop["merchant"])
    db.session.commit()
    code = paycodes.new_code(tender, "password")
    request = dict(store_id=shop["east"].id, member_id=shop["member"].id, tender=tender, key="pw-1", auth_code=code,
                   custom_amount=5000)
    first = counter_topup.take_by_code(db.session, shop["merchant"], shop["cashier"], **request)
    db.session.rollback()
    assert first.waiting and first.order is None and count(db, Order) == 0
    import time
    time.sleep(0.5)
    paid = counter_topup.take_by_code(db.session, shop["merchant"], shop["cashier"], **request)
    db.session.commit()
    assert not paid.waiting and paid.order.amount == 5000 and purse(db, shop).principal == 5000


def test_is_a_refused_payment_code_recording_nothing(db, shop, live_server):
    sbx.provision_account(db.session, shop["merchant"])
    db.session.commit()
    with pytest.raises(till_channels.ChannelRefused, match="余额不足"):
        counter_topup.take_by_code(db.session, shop["merchant"], shop["cashier"], store_id=shop["east"].id,
                                   member_id=shop["member"].id, tender="wechat", key="poor",
                                   auth_code=paycodes.new_code("wechat", "notenough"), rule_id=shop["tier"].id)
    db.session.rollback()
    assert count(db, Order) == 0 and purse(db, shop).principal == 0


def test_is_a_cash_top_up_refunded_by_hand_with_the_operator_recorded(db, shop):
    order = by_hand(db, shop)
    row = refunds.refund_order(db.session, shop["owner"], order.id, 10000, reason="顾客退卡", key="refund-1")
    db.session.commit()
    assert (row.state, row.staff_id, row.channel_refund_id, row.amount) == ("succeeded", shop["owner"].id, None, 10000)
    assert (row.bonus_back, row.bonus_unrecoverable) == (1000, 0)
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "refunded"
    assert (purse(db, shop).principal, purse(db, shop).bonus) == (0, 0)
    assert stored_value.instalment_orders(db.session) == []  # a refunded top-up pays no more instalments
    with pytest.raises(PermissionDenied):
        refunds.refund_order(db.session, shop["cashier"], order.id, 100, reason="再退", key="refund-2")


def test_may_only_cashiers_owners_and_admins_of_the_store_take_a_top_up(db, shop, make):
    with pytest.raises(PermissionDenied, match="门店充值的权限"):
        by_hand(db, shop, actor=shop["verifier"])
    db.session.rollback()
    with pytest.raises(PermissionDenied):  # a cashier of the east store at the west store
        counter_topup.take_by_hand(db.session, shop["merchant"], shop["cashier"], store_id=shop["west"].id,
                                   member_id=shop["member"].id, tender="cash", key="west", rule_id=shop["tier"].id)
    db.session.rollback()
    stranger = make.member(make.merchant())
    db.session.commit()
    with pytest.raises(NotFound):
        counter_topup.take_by_hand(db.session, shop["merchant"], shop["cashier"], store_id=shop["east"].id,
                                   member_id=stranger.id, tender="cash", key="stranger", rule_id=shop["tier"].id)
    db.session.rollback()
    assert count(db, Order) == 0


@pytest.mark.parametrize("choice, tender, error, message", [
    (dict(custom_amount=999), "cash", DomainError, "充值金额须在"),
    (dict(custom_amount=10**12), "cash", DomainError, "充值金额须在"),
    (dict(rule_id=2**31 - 1), "cash", DomainError, "档位已失效"),
    (dict(), "cash", DomainError, "请选择充值金额"),
    (dict(custom_amount=5000), "cheque", DomainError, "请选择收款方式"),
])
def test_is_a_bad_top_up_refused_with_nothing_taken(db, shop, choice, tender, error, message):
    with pytest.raises(error, match=message):
        counter_topup.take_by_hand(db.session, shop["merchant"], shop["cashier"], store_id=shop["east"].id,
                                   member_id=shop["member"].id, tender=tender, key="bad", **choice)
    db.session.rollback()
    assert count(db, Order) == 0


def test_is_a_frozen_wallet_refused(db, shop):
    wallet = purse(db, shop)
    wallet.frozen = True
    db.session.commit()
    with pytest.raises(WalletFrozen):
        by_hand(db, shop)


def test_does_the_prepaid_report_count_counter_top_ups_under_their_store_and_tender(db, shop):
    by_hand(db, shop, key="a")
    by_hand(db, shop, tender="bankcard", key="b", custom_amount=5000)
    by_hand(db, shop, key="c", custom_amount=2000)
    merchant = shop["merchant"]
    day = local_today(merchant.timezone)
    rows, total = prepaid_report.report(db.session, merchant, day)
    east = next(row for row in rows if row.store == "东门店")
    assert east.principal == 17000 and east.bonus == 1000
    lines = {(line.store, line.tender): (line.count, line.amount) for line in prepaid_report.topups(db.session, merchant,
                                                                                                 day)}
    assert lines == {("东门店", "现金"): (2, 12000), ("东门店", "银行卡"): (1, 5000)}
