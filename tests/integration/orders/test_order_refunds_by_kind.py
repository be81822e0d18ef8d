"""Refunds of orders other than top-ups (services.orders.refunds.refund_order): gift cards refused, count/timed/benefit
cards closed, only unused coupon codes refunded, and two refunds at once never exceeding the order."""
import pytest
from sqlalchemy import func, select

from channels import payment_channels
from domain.errors import Conflict, DomainError
from domain.orders import Expected
from models import AuditLog, Card, CardRefund, CouponCode, Order, OrderRefund, Staff, WalletTransaction
from services.cards import benefit_templates, count_timed_templates, count_timed_use
from services.coupons import templates as coupon_templates
from services.orders import orders, refund_results, refunds, settlement
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently

CHANNEL_CALLS = []


class FakeChannel:
    """Stands in for a channel of channels.payment_channels: records the refund asked, or refuses like one."""

    refuse = False

    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        if FakeChannel.refuse:
            raise Conflict("渠道拒绝退款：余额不足")
        CHANNEL_CALLS.append((order.out_trade_no, amount))
        return {"refund_id": f"CH{out_refund_no}", "status": "succeeded"}


@pytest.fixture(autouse=True)
def fake_channel(monkeypatch):
    CHANNEL_CALLS.clear()
    FakeChannel.refuse = False
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: FakeChannel)


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    return dict(merchant=merchant, owner=make.staff(merchant, role="owner"), member=make.member(merchant),
                store=make.store(merchant, "东门店"))


def paid_order(db, shop, kind, amount, items, key):
    order = orders.create(db.session, shop["merchant"], shop["member"].id, kind=kind, channel="wechat", amount=amount,
                          description="购买", items=items, key=key)
    settlement.record_payment(db.session, shop["merchant"], order, amount=amount, currency="CNY", app_id="wx",
                          merchant_no="m", channel_trade_no="T" + key, payer="o",
                          expected=Expected(amount, "CNY", "wx", "m"))
    db.session.commit()
    return db.session.get(Order, order.id)


def count_card_order(db, shop, key="count"):
    template = count_timed_templates.save_template(db.session, shop["owner"], None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10, price=10000)
    return paid_order(db, shop, "count_card", 10000, {"template_id": template.id}, key)


def use_card(db, shop, card_id, n, key):
    count_timed_use.use(db.session, shop["owner"], card_id, store_id=shop["store"].id, method="manual", key=key,
                        quantity=n)
    db.session.commit()


def coupon_order(db, shop, quantity=3, unit=500):
    template = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="五元券", amount_off=500,
                                              validity_mode="relative", valid_days=30)
    return paid_order(db, shop, "coupon", unit * quantity,
                      {"template_id": template.id, "quantity": quantity, "unit_price": unit}, "coupon")


def refund(db, shop, order, amount, key="rf:1", reason="顾客要求"):
    record = refunds.refund_order(db.session, shop["owner"], order.id, amount, reason=reason, key=key)
    db.session.commit()
    return record


def test_is_a_gift_card_order_refused_with_the_seed_rule(db, shop):
    # The template is never read: the kind alone refuses, so a paid-looking order is enough.
    order = orders.create(db.session, shop["merchant"], shop["member"].id, kind="gift_card", channel="wechat",
                          amount=10000, description="礼品卡", items={"template_id": 1, "quantity": 1}, key="gift")
    order.state, order.paid_at = "fulfilled", order.created_at
    db.session.commit()

    with pytest.raises(DomainError, match="礼品卡一经售出，不可退款"):
        refunds.refund_order(db.session, shop["owner"], order.id, 100, reason="想退", key="rf:gift")
    db.session.rollback()
    assert db.session.scalar(select(func.count(OrderRefund.id))) == 0 and CHANNEL_CALLS == []


def test_does_a_count_card_refund_close_the_card_and_suggest_the_unused_share(db, shop):
    order = count_card_order(db, shop)
    card_id = order.fulfilment["card_id"]
    use_card(db, shop, card_id, 3, "use:1")

    preview = refunds.kind_preview(db.session, order)
    assert preview["suggested"] == 7000 and "已使用 3 次（共 10 次）" in preview["statement"]
    record = refund(db, shop, order, 7000)

    db.session.expire_all()
    assert (record.state, record.amount) == ("succeeded", 7000)
    assert db.session.get(Card, card_id).state == "refunded"
    assert (db.session.get(Order, order.id).refunded_amount, CHANNEL_CALLS) == (7000, [(order.out_trade_no, 7000)])
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "order.refund")).after["card_id"] == card_id
    with pytest.raises(Conflict, match="不能退款"):  # the card is closed: nothing more can be refunded by it
        refund(db, shop, order, 1000, key="rf:2")


def test_is_a_used_up_count_card_refused_and_nothing_changed(db, shop):
    order = count_card_order(db, shop)
    use_card(db, shop, order.fulfilment["card_id"], 10, "use:all")

    with pytest.raises(Conflict, match="已用完"):
        refund(db, shop, order, 100)
    db.session.rollback()
    assert db.session.get(Order, order.id).refunded_amount == 0 and CHANNEL_CALLS == []


def test_does_a_timed_card_refund_close_the_card(db, shop):
    template = count_timed_templates.save_template(db.session, shop["owner"], None, kind="timed", title="健身月卡",
                                                   tiers=[{"label": "月卡", "days": 30, "price": 9900}],
                                                   start_mode="first_use")
    order = paid_order(db, shop, "timed_card", 9900, {"template_id": template.id}, "timed")

    refund(db, shop, order, 9900)
    db.session.expire_all()
    assert db.session.get(Card, order.fulfilment["card_id"]).state == "refunded"
    assert db.session.get(Order, order.id).state == "refunded"


def test_does_a_benefit_card_refund_close_the_card_and_take_back_its_unused_coupons(db, shop):
    coffee = coupon_templates.save_template(db.session, shop["owner"], None, kind="gift", title="咖啡兑换券", gift_item="拿铁",
                                            validity_mode="relative", valid_days=30)
    template = benefit_templates.save_template(db.session, shop["owner"], None, title="黄金权益卡", price=9900,
                                               valid_days=30, discount_percent=90,
                                               gift_pack=[{"template_id": coffee.id, "count": 2}])
    order = paid_order(db, shop, "benefit_card", 9900, {"template_id": template.id}, "benefit")

    refund(db, shop, order, 5000)
    db.session.expire_all()
    card_id = order.fulfilment["card_id"]
    assert db.session.get(Card, card_id).state == "refunded"
    row = db.session.scalar(select(CardRefund).where(CardRefund.card_id == card_id))
    assert (row.amount, row.coupons_taken_back) == (5000, 2)


def test_are_only_the_unused_codes_of_a_coupon_order_refunded(db, shop):
    order = coupon_order(db, shop)
    first, *rest = order.fulfilment["coupon_code_ids"]
    db.session.get(CouponCode, first).state = "used"
    db.session.commit()

    with pytest.raises(DomainError, match="¥10.00"):  # two unused codes of ¥5
        refund(db, shop, order, 1001)
    db.session.rollback()
    assert {db.session.get(CouponCode, i).state for i in rest} == {"available"}

    refund(db, shop, order, 1000, key="rf:ok")
    db.session.expire_all()
    assert [db.session.get(CouponCode, i).state for i in order.fulfilment["coupon_code_ids"]] == \
        ["used", "voided", "voided"]
    with pytest.raises(Conflict, match="已全部使用"):
        refund(db, shop, order, 100, key="rf:again")


def test_does_a_channel_refusal_leave_the_card_open(db, shop):
    order = count_card_order(db, shop)
    FakeChannel.refuse = True

    with pytest.raises(Conflict, match="渠道拒绝退款"):
        refund(db, shop, order, 5000)
    db.session.rollback()
    assert db.session.get(Card, order.fulfilment["card_id"]).state == "active"
    assert db.session.get(Order, order.id).refunded_amount == 0


def test_does_the_same_key_return_the_same_refund(db, shop):
    order = count_card_order(db, shop)
    first = refund(db, shop, order, 4000)
    again = refund(db, shop, order, 4000)
    assert again.id == first.id and len(CHANNEL_CALLS) == 1


def test_can_two_refunds_at_once_of_a_coupon_order_not_exceed_it(app, db, shop):
    order = coupon_order(db, shop, quantity=4)

    def attempt(session, index):
        owner = session.get(Staff, shop["owner"].id)
        return refunds.refund_order(session, owner, order.id, 2000, reason="并发", key=f"rf:race:{index}").id

    results, errors = run_concurrently(app, 6, attempt)
    db.session.expire_all()
    assert len(results) == 1 and len(errors) == 5
    assert db.session.get(Order, order.id).refunded_amount == 2000
    assert db.session.scalar(select(func.count(OrderRefund.id))) == 1


def test_can_two_refunds_at_once_of_a_count_card_order_not_exceed_it(app, db, shop):
    order = count_card_order(db, shop)

    def attempt(session, index):
        owner = session.get(Staff, shop["owner"].id)
        return refunds.refund_order(session, owner, order.id, 6000, reason="并发", key=f"rf:race:{index}").id

    results, errors = run_concurrently(app, 6, attempt)
    db.session.expire_all()
    assert len(results) == 1 and len(errors) == 5
    assert db.session.get(Order, order.id).refunded_amount == 6000


def test_does_a_failed_card_refund_credit_the_wallet_and_keep_the_card_closed(db, shop, monkeypatch):
    order = count_card_order(db, shop)
    monkeypatch.setattr(FakeChannel, "refund", staticmethod(lambda *args: {"refund_id": "CH", "status": "processing"}))
    record = refund(db, shop, order, 7000)

    assert refund_results.settle(db.session, record, False, reason="微信支付退款已关闭") is True
    assert refund_results.settle(db.session, record, False, reason="again") is False
    db.session.commit()

    db.session.expire_all()
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    assert (purse.principal, purse.bonus) == (7000, 0)
    assert db.session.scalar(select(func.count(WalletTransaction.id))) == 1
    assert db.session.get(Card, order.fulfilment["card_id"]).state == "refunded"
    # The money went back (to the wallet): counting it as refunded stops it going back through the channel too.
    assert db.session.get(Order, order.id).refunded_amount == 7000
