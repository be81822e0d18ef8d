"""The final result of a refund left "processing": WeChat's encrypted refund notification (sent by the sandbox
over real HTTP), the periodic job asking WeChat or Alipay, and a failed refund put back in the wallet, once."""
import json
import secrets
from datetime import timedelta

import pytest
import requests
import xmltodict
from sqlalchemy import func, select, update
from wechatpy.crypto import RefundCrypto, WeChatRefundCrypto

from channels import alipay_trades as alipay_pay, wechat_pay as wxpay
from domain.clock import now_utc
from jobs import schedule
from jobs.payments import settle_overdue_orders, settle_processing_refunds
from models import AuditLog, Order, OrderRefund, PaymentNotification, SandboxGrant, WalletTransaction
from sandbox import alipay_keys, alipay_trades, wechat_pay_refunds as sandbox_refunds, wechat_state as sbx
from services.members import members
from services.orders import channel_payments, notification_rates, orders, refund_results, refunds
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently
from tests.rejected_notifications import rejected

APP_ID = "wx5f1d0c0ffee00003"
MCH_ID = "1900000111"
OPENID = "oRefundResult0000000000000001"
LATER = timedelta(minutes=10)


@pytest.fixture()
def shop(app, db, make, live_server, monkeypatch):
    """A ¥100 top-up (¥10 bonus) paid by WeChat at the sandbox and recorded; the owner who refunds it."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))  # one delivery: no retries after the test
    merchant = make.merchant(wechat_app_id=APP_ID, wechat_app_secret=secrets.token_hex(16), wechat_pay_mch_id=MCH_ID,
                             wechat_pay_api_key=secrets.token_hex(16), wechat_pay_sign_type="MD5")
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    members.bind_identity(db.session, member, "wechat_openid", OPENID, app_id=APP_ID)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="wechat", amount=10000,
                          description="储值充值 100 元", items={"principal": 10000, "bonus": 1000}, key="topup-rr")
    db.session.commit()
    prepay_id = "wx" + secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="wxpay_prepay", value=prepay_id, app_id=APP_ID, user_key=OPENID,
                                scope=order.out_trade_no, used_at=now_utc()))
    sbx.record(db.session, "wxpay_order", APP_ID, prepay_id, {
        "mch_id": MCH_ID, "out_trade_no": order.out_trade_no, "body": order.description, "total_fee": 10000,
        "fee_type": "CNY", "notify_url": "http://127.0.0.1:9/lost", "sign_type": "MD5", "openid": OPENID})
    db.session.commit()
    assert settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1)) == {order.id: "paid"}
    return dict(merchant=merchant, owner=owner, member=member, order=order, url=live_server)


def pending_refund(db, shop, amount, key="rf:1"):
    sandbox_refunds.pend_next_refund(db.session, shop["merchant"])
    db.session.commit()
    record = refunds.refund_order(db.session, shop["owner"], shop["order"].id, amount, reason="顾客要求", key=key)
    db.session.commit()
    assert record.state == "processing"
    return record


def complete(shop, record, result, tamper=""):
    answer = requests.post(f"{shop['url']}/sandbox/wechatpay/refund/complete", timeout=30, data={
        "mch_id": MCH_ID, "out_refund_no": record.out_refund_no, "result": result, "tamper": tamper})
    assert answer.status_code == 200, answer.text
    return answer.json()["delivery"]


def notification(merchant, key=None, **info):
    """A refund notification as WeChat writes it, encrypted with `key` (the merchant's API key by default)."""
    plain = xmltodict.unparse({"root": {k: str(v) for k, v in info.items()}}, full_document=False)
    req_info = RefundCrypto(WeChatRefundCrypto(key or merchant.wechat_pay_api_key).key).encrypt(plain).decode()
    return wxpay.dict_to_xml({"return_code": "SUCCESS", "appid": APP_ID, "mch_id": MCH_ID,
                              "nonce_str": wxpay.nonce(), "req_info": req_info})


def closed_notice(shop, record, **changes):
    info = dict(out_trade_no=shop["order"].out_trade_no, out_refund_no=record.out_refund_no, refund_id="5000001",
                total_fee=10000, refund_fee=record.amount, refund_status="REFUNDCLOSE")
    return notification(shop["merchant"], **{**info, **changes})


def post_notice(shop, body):
    answer = requests.post(f"{shop['url']}/payments/wechat/refund-notify/{shop['merchant'].slug}",
                           data=body.encode(), timeout=30, headers={"Content-Type": "text/xml"})
    return wxpay.parse_xml(answer.content)["return_code"]


def state_of(db, shop, record):
    db.session.expire_all()
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    order = db.session.get(Order, shop["order"].id)
    return (db.session.get(OrderRefund, record.id).state, purse.principal, purse.bonus, order.refunded_amount,
            order.state)


def put_backs(db):
    return db.session.scalar(select(func.count(WalletTransaction.id))
                             .where(WalletTransaction.idempotency_key.like("refund:%:put-back")))


def outcomes(db):
    db.session.expire_all()
    return sorted(db.session.scalars(select(PaymentNotification.outcome)
                                     .where(PaymentNotification.detail.is_not(None)
                                            | (PaymentNotification.outcome == "accepted"))))


# --- the notification ----------------------------------------------------------------------------------------

def test_does_the_success_notification_settle_a_processing_refund(db, shop):
    record = pending_refund(db, shop, 4000)
    assert complete(shop, record, "SUCCESS") == "SUCCESS"

    assert state_of(db, shop, record) == ("succeeded", 6000, 600, 4000, "fulfilled")
    assert db.session.get(OrderRefund, record.id).settled_at is not None


def test_does_a_closed_refund_put_the_whole_top_up_back_in_the_wallet(db, shop):
    record = pending_refund(db, shop, 10000)
    assert state_of(db, shop, record) == ("processing", 0, 0, 10000, "refunded")

    assert complete(shop, record, "REFUNDCLOSE") == "SUCCESS"

    assert state_of(db, shop, record) == ("failed", 10000, 1000, 0, "fulfilled")
    row = db.session.get(OrderRefund, record.id)
    assert row.failure_reason == "微信支付退款已关闭" and row.settled_at is not None
    assert put_backs(db) == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "order.refund_failed"))
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    assert wallet.journal_balance(db.session, purse.id) == (10000, 1000)


def test_is_the_money_of_a_failed_refund_refundable_again(db, shop):
    record = pending_refund(db, shop, 3000)
    complete(shop, record, "CHANGE")
    assert state_of(db, shop, record)[0] == "failed"

    again = refunds.refund_order(db.session, shop["owner"], shop["order"].id, 10000, reason="再退", key="rf:2")
    db.session.commit()
    assert again.state == "succeeded" and state_of(db, shop, again)[1:] == (0, 0, 10000, "refunded")


@pytest.mark.parametrize("tamper, kept, counted", [("key", [], {("wechat_refund", "bad_signature"): 1}),
                                                    ("amount", ["mismatch"], {})])
def test_is_a_forged_or_altered_notification_answered_fail_with_nothing_changed(db, shop, tamper, kept, counted):
    record = pending_refund(db, shop, 4000)

    assert complete(shop, record, "REFUNDCLOSE", tamper=tamper) == "FAIL"

    assert state_of(db, shop, record) == ("processing", 6000, 600, 4000, "fulfilled")
    assert outcomes(db) == kept and rejected(db) == counted and put_backs(db) == 0


@pytest.mark.parametrize("changes", [{"out_refund_no": "RF" + "0" * 30}, {"refund_fee": 3999},
                                     {"out_trade_no": "MC" + "1" * 30}, {"refund_status": "PROCESSING"}])
def test_is_a_notification_not_matching_the_refund_record_answered_fail(db, shop, changes):
    record = pending_refund(db, shop, 4000)

    assert post_notice(shop, closed_notice(shop, record, **changes)) == "FAIL"

    assert state_of(db, shop, record) == ("processing", 6000, 600, 4000, "fulfilled") and put_backs(db) == 0


def test_are_malformed_notifications_answered_fail(db, shop):
    record = pending_refund(db, shop, 4000)
    wrong_mch = closed_notice(shop, record).replace(MCH_ID, "1900000999")

    for body in ("not xml", "<xml><return_code>SUCCESS</return_code></xml>", wrong_mch,
                 closed_notice(shop, record).replace("<req_info><![CDATA[", "<req_info><![CDATA[AAAA")):
        assert post_notice(shop, body) == "FAIL"
    assert state_of(db, shop, record)[0] == "processing"
    assert outcomes(db) == []  # none of them could be decrypted: counted, not kept
    assert rejected(db, shop["merchant"].id) == {("wechat_refund", "malformed"): 1,
                                                 ("wechat_refund", "bad_signature"): 3}


def test_does_a_repeated_notification_settle_once(db, shop):
    record = pending_refund(db, shop, 4000)
    body = closed_notice(shop, record)

    assert [post_notice(shop, body) for _ in range(3)] == ["SUCCESS"] * 3
    assert state_of(db, shop, record) == ("failed", 10000, 1000, 0, "fulfilled") and put_backs(db) == 1


def test_is_a_notification_over_the_rate_answered_fail_unsettled_then_settled_a_minute_later(app, db, shop,
                                                                                              monkeypatch):
    record = pending_refund(db, shop, 4000)
    monkeypatch.setitem(app.config, "NOTIFY_RATE_PER_MINUTE", 1)
    body = closed_notice(shop, record)
    assert post_notice(shop, "not xml") == "FAIL"

    assert post_notice(shop, body) == "FAIL"
    assert state_of(db, shop, record) == ("processing", 6000, 600, 4000, "fulfilled") and put_backs(db) == 0
    assert db.session.scalars(select(PaymentNotification)).all() == []
    assert rejected(db) == {("wechat_refund", "malformed"): 1, ("wechat_refund", "rate_limited"): 1}

    later = now_utc() + timedelta(seconds=60)
    monkeypatch.setattr(notification_rates, "now_utc", lambda: later)
    assert post_notice(shop, body) == "SUCCESS"
    assert state_of(db, shop, record) == ("failed", 10000, 1000, 0, "fulfilled") and put_backs(db) == 1


def test_do_10_concurrent_copies_of_a_notification_settle_once(app, db, shop):
    record = pending_refund(db, shop, 4000)
    body = closed_notice(shop, record)

    results, errors = run_concurrently(app, 10, lambda session, index: post_notice(shop, body))

    assert results == ["SUCCESS"] * 10 and errors == []
    assert state_of(db, shop, record) == ("failed", 10000, 1000, 0, "fulfilled") and put_backs(db) == 1
    kept = db.session.scalars(select(PaymentNotification.outcome)).all()
    assert sorted(set(kept)) == ["accepted", "duplicate"] and kept.count("accepted") == 1


# --- the job ----------------------------------------------------------------------------------------------

def end_at_sandbox(db, record, result):
    """The refund ends at WeChat and its notification is lost."""
    db.session.execute(update(SandboxGrant).where(SandboxGrant.value == f"{MCH_ID}:{record.out_refund_no}")
                       .values(used_at=now_utc(), user_key=result))
    db.session.commit()


def test_does_the_job_settle_refunds_whose_notification_never_came(db, shop):
    closed = pending_refund(db, shop, 3000, key="rf:closed")
    done = pending_refund(db, shop, 2000, key="rf:done")
    waiting = pending_refund(db, shop, 1000, key="rf:waiting")
    end_at_sandbox(db, closed, "REFUNDCLOSE")
    end_at_sandbox(db, done, "SUCCESS")

    assert settle_processing_refunds(db.session) == {}  # too recent: the notification may still come
    assert settle_processing_refunds(db.session, now=now_utc() + LATER) == {
        closed.id: "failed", done.id: "succeeded", waiting.id: "processing"}

    assert state_of(db, shop, closed) == ("failed", 7000, 700, 3000, "fulfilled")
    assert db.session.get(OrderRefund, done.id).state == "succeeded"
    assert db.session.get(OrderRefund, waiting.id).state == "processing"


def test_do_the_job_and_notifications_racing_settle_once(app, db, shop):
    record = pending_refund(db, shop, 4000)
    end_at_sandbox(db, record, "REFUNDCLOSE")
    body = closed_notice(shop, record)

    def settle_somehow(session, index):
        if index % 2:
            return post_notice(shop, body)
        return refund_results.ask_and_settle(session, record.id, now=now_utc() + LATER)

    results, errors = run_concurrently(app, 10, settle_somehow)

    assert errors == [] and set(results) <= {"SUCCESS", "failed", "unchanged"}
    assert state_of(db, shop, record) == ("failed", 10000, 1000, 0, "fulfilled") and put_backs(db) == 1


def test_is_the_refund_job_declared_every_10_minutes():
    assert (settle_processing_refunds, 600) in schedule.PERIODIC


# --- Alipay ------------------------------------------------------------------------------------------------

@pytest.fixture()
def alipay_order(db, make, live_server):
    merchant = alipay_keys.provision_merchant(db.session, make.merchant(name="支付宝退款结果店"))
    owner, member = make.staff(merchant, role="owner"), make.member(merchant)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                          description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key="ali-topup")
    db.session.commit()
    trade = {"app_id": merchant.alipay_app_id, "out_trade_no": order.out_trade_no, "total_amount": "100.00",
             "subject": order.description, "status": "TRADE_SUCCESS", "trade_no": f"2026112422001{order.id:015d}",
             "notify_url": "", "return_url": "", "quit_url": "", "time_expire": "",
             "gmt_create": "2026-11-24 09:00:00", "gmt_payment": "2026-11-24 09:01:00", "buyer_id": "2088000000000556"}
    alipay_keys.put(db.session, alipay_trades.trade_key(merchant.alipay_app_id, order.out_trade_no),
                    json.dumps(trade, ensure_ascii=False, sort_keys=True))
    db.session.commit()
    assert channel_payments.settle_by_query(db.session, order) == "paid"
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member, order=order)


def test_does_the_job_ask_alipay_and_settle_both_ways(db, alipay_order, monkeypatch):
    shop = alipay_order
    made = refunds.refund_order(db.session, shop["owner"], shop["order"].id, 3000, reason="退", key="ali:made")
    db.session.commit()
    real_refund = alipay_pay.refund
    # An answer lost on the way: booked as processing, the request never reached Alipay.
    monkeypatch.setattr(alipay_pay, "refund", lambda *args: {"refund_id": None, "status": "processing"})
    lost = refunds.refund_order(db.session, shop["owner"], shop["order"].id, 2000, reason="退", key="ali:lost")
    db.session.execute(update(OrderRefund).where(OrderRefund.id == made.id).values(state="processing"))
    db.session.commit()
    monkeypatch.setattr(alipay_pay, "refund", real_refund)

    assert settle_processing_refunds(db.session, now=now_utc() + LATER) == {made.id: "succeeded",
                                                                            lost.id: "failed"}
    assert state_of(db, shop, lost) == ("failed", 7000, 700, 3000, "fulfilled")
    assert db.session.get(OrderRefund, lost.id).failure_reason == "支付宝未受理该退款"


def test_can_a_person_end_a_pending_refund_from_the_sandbox_page(db, shop):
    record = pending_refund(db, shop, 4000)
    page = requests.get(f"{shop['url']}/sandbox/wechatpay/refunds", timeout=30)
    assert record.out_refund_no in page.text and "退款关闭" in page.text

    done = requests.post(f"{shop['url']}/sandbox/wechatpay/refund/complete", timeout=30, data={
        "mch_id": MCH_ID, "out_refund_no": record.out_refund_no, "result": "REFUNDCLOSE", "page": "1"})

    assert "通知投递：SUCCESS" in done.text and record.out_refund_no not in done.text
    assert state_of(db, shop, record)[0] == "failed"
