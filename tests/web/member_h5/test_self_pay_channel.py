"""Self-pay with WeChat Pay through the sandbox, over real HTTP: the member's order, the sandbox cashier, the
payment notification that records the checkout, and a full refund when the price moved before the payment."""
import pytest
import requests
from sqlalchemy import select

from member_h5 import pay_start
from models import Order, OrderRefund, PaymentNotification
from models.checkout import Checkout
from services.coupons import instrument as coupon_instrument
from services.till import refunds as checkout_refunds
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, fresh, text_of
from tests.web.member_h5.test_self_pay import give_coupon, member, pay, phone, quote, store  # noqa: F401  (fixtures)
from tests.web.member_h5.test_wechat_pay_flow import cashier_url

shop = test_h5_support.shop  # the fixture
owner = test_h5_support.shop_owner  # the fixture
started = test_h5_support.started  # the fixture


@pytest.fixture(autouse=True)
def one_delivery(app, monkeypatch):
    """One notification per payment: the compressed retry schedule would outlive the test's tables."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))


def ordered(db, phone, shop, store, amount, started):
    """The member's self-pay order for `amount`, paid by WeChat Pay (the channel's page is not opened yet)."""
    page = quote(phone, shop, store, amount, tender="wechat")
    assert pay(phone, shop, store, page, how="channel").status_code == 200 and len(started) == 1
    return db.session.scalars(select(Order)).one()


def pay_at_the_cashier(app, live_server, shop, order):
    with app.test_request_context("/", base_url=live_server):
        # the real WeChat page: `started` stands in for pay_start.start only
        page = pay_start.start_wechat(shop, order)  # the JSAPI page, as HTML
    paid = requests.post(cashier_url(page, live_server), data={"action": "pay", "tamper": "", "return": "/h5/back"},
                         timeout=30)
    assert "支付成功" in paid.text, paid.text


def test_does_the_payment_notification_record_the_checkout(app, db, live_server, phone, owner, login, shop, store,
                                                          member, started):
    order = ordered(db, phone, shop, store, "200", started)
    assert order.amount == 19000 and order.items["choice"] == "1::0"
    pay_at_the_cashier(app, live_server, shop, order)
    order = fresh(order)
    assert order.state == "fulfilled" and "checkout_id" in order.fulfilment
    made = db.session.get(Checkout, order.fulfilment["checkout_id"])
    assert (made.source, made.tender, made.pay, made.balance_paid, made.staff_id, made.member_id) == \
        ("h5", "wechat", 19000, 0, None, member.id)
    assert made.points_earned > 0
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert f"/checkouts/{made.id}" in page and "自助买单" in page
    receipt = text_of(phone.get(f"/h5/{shop.slug}/checkouts/{made.id}"))
    assert "实付 ¥190.00" in receipt and "微信支付" in receipt
    login(owner)
    back_office = text_of(phone.get(f"/backoffice/orders/{order.id}"))
    assert "自助买单已入账" in back_office and 'name="reason"' not in back_office


def test_is_the_order_refunded_in_full_when_its_coupon_was_used_meanwhile(app, db, live_server, phone, owner,
                                                                          shop, store, member, started):
    code = give_coupon(owner, member, "give-selfpay-channel")
    order = ordered(db, phone, shop, store, "100", started)
    assert order.amount == 8000 and str(code.id) in order.items["choice"]
    coupon_instrument.INSTRUMENT.verify(db.session, owner, code.id, store_id=store.id, method="manual",
                                        key="at-the-till")
    db.session.commit()  # the coupon is used at the till before the member pays the order
    pay_at_the_cashier(app, live_server, shop, order)
    order = fresh(order)
    assert order.state == "refunded" and order.refunded_amount == 8000
    assert "refund_reason" in order.fulfilment and count(Checkout) == 0
    refund = db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id)).one()
    assert refund.amount == 8000 and refund.staff_id is None and refund.state in ("succeeded", "processing")
    assert [n.outcome for n in db.session.scalars(select(PaymentNotification))] == ["accepted"]
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert 'id="self-pay-refunded"' in page and "全额退款" in page and "会员没有这张可用的券" in page


def test_does_refunding_a_self_pay_checkout_send_the_money_back_through_its_channel(app, db, live_server, phone,
                                                                                   owner, login, shop, store,
                                                                                   member, started):
    order = ordered(db, phone, shop, store, "200", started)
    pay_at_the_cashier(app, live_server, shop, order)
    order = fresh(order)
    made = db.session.get(Checkout, order.fulfilment["checkout_id"])
    assert (made.out_trade_no, made.channel_trade_no) == (order.out_trade_no, order.channel_trade_no)
    row = checkout_refunds.refund(db.session, owner, made.id, 5000, reason="顾客退部分", key="sp-refund-1")
    db.session.commit()
    assert row.out_refund_no and row.channel_state == "succeeded"  # the sandbox refunds a WeChat trade at once
    login(owner)
    page = text_of(phone.get(f"/backoffice/checkouts/{made.id}"))
    assert made.channel_trade_no in page and "微信支付 ¥50.00 原路退回：退款成功" in page
    assert "其余款项通过微信支付原路退回顾客" in page
