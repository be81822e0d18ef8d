"""Payment codes at the till (services/till/channels.py) against the sandbox over real HTTP, for WeChat Pay
(micropay) and Alipay (trade.pay bar_code): paid at once, a password then paid, refusals, a retried key, a price
that moved while the payer typed the password, and refunds back through the channel."""
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from domain import roles
from domain.clock import now_utc
from domain.errors import Conflict
from jobs import schedule
from jobs.payments import settle_processing_till_refunds
from models import Level, Merchant, SandboxGrant
from models.checkout import Checkout, CheckoutRefund
from sandbox import alipay_trades, paycodes, wechat_state as sbx
from sandbox.alipay_keys import provision_merchant
from services.till import refunds as checkout_refunds, channel_refunds as till_channel_refunds, channels as till_channels
from tests.integration.helpers import run_concurrently

CHANNELS = ("wechat", "alipay")


@pytest.fixture(autouse=True)
def quick(app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))
    monkeypatch.setitem(app.config, "SANDBOX_PASSWORD_SECONDS", 0.4)


@pytest.fixture()
def till(db, make, live_server):
    merchant = make.merchant(name="付款码咖啡")
    sbx.provision_account(db.session, merchant)
    provision_merchant(db.session, merchant)
    store = make.store(merchant, "东门店")
    cashier = make.staff(merchant, role=roles.CASHIER, username="cashier", stores_=[store])
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    member = make.member(merchant, mobile="13912345678", name="王小明")
    member.level_id = _level(db, merchant, "银卡").id  # 95 折
    db.session.commit()
    return dict(merchant=merchant, store=store, cashier=cashier, owner=owner, member=member)


def _level(db, merchant, name):
    return db.session.scalars(select(Level).where(Level.merchant_id == merchant.id, Level.name == name)).one()


def attempt(db, till, tender, code, key="k1", amount=10000, **extra):
    return till_channels.attempt(db.session, till["merchant"], till["cashier"], store_id=till["store"].id,
                                 member_id=till["member"].id, amount=amount, tender=tender, choice=None, seed=None,
                                 key=key, auth_code=code, **extra)


def channel_state(db, till, tender, key="k1"):
    """The sandbox's view of the trade: (paid?, closed/reversed?) or None when it has no such trade."""
    db.session.expire_all()
    merchant, out_trade_no = till["merchant"], till_channels.trade_number(till["merchant"].id, key)
    if tender == "wechat":
        grant = db.session.scalars(select(SandboxGrant).where(SandboxGrant.scope == out_trade_no)).one_or_none()
        return None if grant is None else (grant.used_at is not None, grant.kind == "wxpay_closed")
    trade = alipay_trades.load_trade(merchant.alipay_app_id, out_trade_no)[1]
    return None if trade is None else (trade.get("gmt_payment") is not None, trade["status"] == "TRADE_CLOSED")


def checkouts(db):
    db.session.expire_all()
    return db.session.scalars(select(Checkout)).all()


@pytest.mark.parametrize("tender", CHANNELS)
def test_does_a_code_that_pays_at_once_record_the_checkout_with_the_trade_number(db, till, tender):
    step = attempt(db, till, tender, paycodes.new_code(tender))
    db.session.commit()

    made = step.checkout
    assert not step.waiting and made.tender == tender and made.pay == 9500 and made.balance_paid == 0
    assert made.out_trade_no == till_channels.trade_number(till["merchant"].id, "k1") and made.channel_trade_no
    assert channel_state(db, till, tender) == (True, False)
    assert checkout_refunds.receipt(db.session, till["merchant"].id, made.id)["channel_trade_no"] == \
        made.channel_trade_no


@pytest.mark.parametrize("tender", CHANNELS)
def test_does_a_payer_who_enters_the_password_pay_after_the_wait(db, till, tender):
    made = till_channels.charge(db.session, till["merchant"], till["cashier"], store_id=till["store"].id,
                                member_id=till["member"].id, amount=10000, tender=tender, choice=None, seed=None,
                                key="k1", auth_code=paycodes.new_code(tender, "password"), wait_seconds=10,
                                poll_seconds=0.1)
    db.session.commit()
    assert made.pay == 9500 and made.channel_trade_no and channel_state(db, till, tender) == (True, False)


@pytest.mark.parametrize("tender", CHANNELS)
def test_is_a_payer_who_never_enters_the_password_reversed_when_time_is_up(db, till, tender):
    code = paycodes.new_code(tender, "never")
    assert attempt(db, till, tender, code).waiting and checkouts(db) == []

    with pytest.raises(till_channels.ChannelRefused, match="顾客未在规定时间内完成支付，已撤销"):
        till_channels.charge(db.session, till["merchant"], till["cashier"], store_id=till["store"].id,
                             member_id=till["member"].id, amount=10000, tender=tender, choice=None, seed=None,
                             key="k1", auth_code=code, wait_seconds=0.2, poll_seconds=0.1)
    db.session.rollback()
    assert checkouts(db) == [] and channel_state(db, till, tender) == (False, True)


@pytest.mark.parametrize("tender", CHANNELS)
@pytest.mark.parametrize("kind, message", [("notenough", "余额不足"), ("expired", "刷新付款码")])
def test_are_insufficient_funds_and_an_expired_code_refused_with_nothing_recorded(db, till, tender, kind, message):
    with pytest.raises(till_channels.ChannelRefused, match=message):
        attempt(db, till, tender, paycodes.new_code(tender, kind))
    db.session.rollback()
    assert checkouts(db) == [] and channel_state(db, till, tender) is None


@pytest.mark.parametrize("tender, code", [("wechat", "123"), ("wechat", "251234567890123456"),
                                          ("alipay", "134567890123456789"), ("alipay", "")])
def test_is_a_code_of_the_wrong_shape_refused_before_reaching_the_channel(db, till, tender, code):
    with pytest.raises(Exception, match="付款码格式不正确"):
        attempt(db, till, tender, code)
    db.session.rollback()
    assert checkouts(db) == [] and channel_state(db, till, tender) is None


@pytest.mark.parametrize("tender", CHANNELS)
def test_does_a_retried_key_charge_once(db, till, tender):
    code = paycodes.new_code(tender)
    # The first request reached the channel but its answer was lost: nothing was recorded here.
    channel = till_channels.CHANNELS[tender]
    out_trade_no = till_channels.trade_number(till["merchant"].id, "k1")
    assert channel.charge(till["merchant"], out_trade_no=out_trade_no, amount=9500, auth_code=code,
                          subject="消费", client_ip="127.0.0.1").state == "paid"

    first = attempt(db, till, tender, code).checkout
    db.session.commit()
    again = attempt(db, till, tender, code).checkout

    assert again.id == first.id and len(checkouts(db)) == 1 and channel_state(db, till, tender) == (True, False)
    with pytest.raises(Conflict):
        attempt(db, till, tender, code, amount=20000)


@pytest.mark.parametrize("tender", CHANNELS)
def test_do_two_requests_at_once_with_one_key_make_one_checkout(app, db, till, tender):
    code, merchant_id, cashier_id = paycodes.new_code(tender), till["merchant"].id, till["cashier"].id
    store_id, member_id = till["store"].id, till["member"].id

    def pay(session, _index):
        from models import Staff

        return till_channels.attempt(session, session.get(Merchant, merchant_id), session.get(Staff, cashier_id),
                                     store_id=store_id, member_id=member_id, amount=10000, tender=tender,
                                     choice=None, seed=None, key="same", auth_code=code).checkout.id

    results, errors = run_concurrently(app, 2, pay)
    assert errors == [] and len(set(results)) == 1 and len(checkouts(db)) == 1


@pytest.mark.parametrize("tender", CHANNELS)
def test_is_a_price_that_moved_while_the_payer_typed_the_password_reversed(db, till, tender):
    code = paycodes.new_code(tender, "password")
    assert attempt(db, till, tender, code).waiting
    db.session.rollback()
    till["member"].level_id = _level(db, till["merchant"], "普通").id  # no more 95 折: the price is now ¥100
    db.session.commit()
    time.sleep(0.5)

    with pytest.raises(till_channels.ChannelRefused, match="收款后记账失败.*已撤销该笔.*原路退回顾客"):
        attempt(db, till, tender, code)
    db.session.rollback()
    assert checkouts(db) == [] and channel_state(db, till, tender) == (True, True)


@pytest.mark.parametrize("tender", CHANNELS)
def test_does_a_refund_go_back_through_the_channel(db, till, tender):
    made = attempt(db, till, tender, paycodes.new_code(tender)).checkout
    db.session.commit()

    row = checkout_refunds.refund(db.session, till["owner"], made.id, 3000, reason="少做一杯", key="r1")
    db.session.commit()
    again = checkout_refunds.refund(db.session, till["owner"], made.id, 3000, reason="少做一杯", key="r1")

    assert again.id == row.id and row.channel_state == "succeeded" and row.channel_refund_id
    assert row.out_refund_no == till_channel_refunds.refund_number(till["merchant"].id, "r1")
    assert _refunded_at_channel(db, till, tender, made) == 3000


def _refunded_at_channel(db, till, tender, made):
    db.session.expire_all()
    if tender == "alipay":
        return sum(alipay_trades.load_trade(till["merchant"].alipay_app_id, made.out_trade_no)[1]["refunds"].values())
    from sandbox.wechat_pay_refunds import _refunds

    return sum(r["refund_fee"] for r in _refunds(db.session, till["merchant"], made.out_trade_no).values())


def test_is_a_refund_the_channel_refuses_not_booked(db, live_server, till):
    made = attempt(db, till, "wechat", paycodes.new_code("wechat")).checkout
    db.session.commit()
    requests.post(f"{live_server}/sandbox/wechatpay/refund/fail-next", data={
        "mch_id": till["merchant"].wechat_pay_mch_id, "err_code_des": "基本账户余额不足"}, timeout=30)

    with pytest.raises(Conflict, match="基本账户余额不足"):
        checkout_refunds.refund(db.session, till["owner"], made.id, 3000, reason="退款", key="r1")
    db.session.rollback()
    assert db.session.scalar(select(func.count(CheckoutRefund.id))) == 0
    assert db.session.get(Checkout, made.id).refunded_amount == 0


def processing_refund(db, till):
    """A ¥95 refund of a WeChat payment-code checkout that WeChat accepts and pays later: (checkout, refund)."""
    from sandbox.wechat_pay_refunds import pend_next_refund

    made = attempt(db, till, "wechat", paycodes.new_code("wechat")).checkout
    pend_next_refund(db.session, till["merchant"])
    db.session.commit()
    row = checkout_refunds.refund(db.session, till["owner"], made.id, 9500, reason="整单退", key="r1")
    db.session.commit()
    assert row.channel_state == "processing"
    return made, row


def test_is_a_refund_wechat_pays_later_settled_when_asked(db, live_server, till):
    made, row = processing_refund(db, till)
    assert till_channel_refunds.settle_one(db.session, till["merchant"], made, row.id) == "processing"
    assert settle_processing_till_refunds(db.session) == {}  # too recent for the periodic job
    assert settle_processing_till_refunds(db.session, now=row.created_at + timedelta(minutes=6)) == \
        {row.id: "processing"}
    assert (settle_processing_till_refunds, 600) in schedule.PERIODIC

    # WeChat ends the refund but its notification is lost: asking is what settles it
    db.session.execute(update(SandboxGrant).where(
        SandboxGrant.value == f"{till['merchant'].wechat_pay_mch_id}:{row.out_refund_no}")
        .values(used_at=now_utc(), user_key="CHANGE"))
    db.session.commit()
    assert till_channel_refunds.settle_one(db.session, till["merchant"], made, row.id) == "failed"
    db.session.commit()
    settled = db.session.get(CheckoutRefund, row.id)
    assert "请以现金等方式退还顾客 ¥95.00" in settled.channel_note
    assert till_channel_refunds.settle_one(db.session, till["merchant"], made, row.id) == "failed"


def test_does_wechat_s_refund_notification_settle_a_till_refund_once(db, live_server, till):
    _made, row = processing_refund(db, till)

    done = requests.post(f"{live_server}/sandbox/wechatpay/refund/complete", timeout=30, data={
        "mch_id": till["merchant"].wechat_pay_mch_id, "out_refund_no": row.out_refund_no, "result": "SUCCESS"})
    assert done.status_code == 200, done.text
    db.session.expire_all()
    assert db.session.get(CheckoutRefund, row.id).channel_state == "succeeded"  # the notification settled it
    assert till_channel_refunds.record_result(db.session, db.session.get(CheckoutRefund, row.id), False) is False
