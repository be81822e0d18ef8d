"""WeChat Pay notifications over real HTTP, signed in the tests with an API key made here (MD5 and
HMAC-SHA256), and the job that queries the channel for orders whose notification never came."""
import secrets
import threading
from datetime import timedelta

import pytest
import requests
import xmltodict
from sqlalchemy import func, select
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml

from domain.clock import now_utc
from jobs.payments import settle_overdue_orders
from models import Order, PaymentNotification, SandboxGrant, Wallet, WalletTransaction
from services.members import members
from services.orders import orders
from sandbox import wechat_state as sbx
from tests.rejected_notifications import rejected
from tests.connection_budget import many_connections

APP_ID = "wx5f1d0c0ffee00001"
MCH_ID = "1900000109"
OPENID = "oPayer0000000000000000000001"


def _sign(params, key, sign_type):
    fields = {k: v for k, v in params.items() if v not in (None, "")}
    return calculate_signature_hmac(fields, key) if sign_type == "HMAC-SHA256" else calculate_signature(fields, key)


def notification(order, key, sign_type, **changes):
    """A WeChat Pay result notification for `order`, as WeChat signs it (with `changes` applied before signing)."""
    params = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": APP_ID, "mch_id": MCH_ID,
              "nonce_str": secrets.token_hex(16), "openid": OPENID, "is_subscribe": "N", "trade_type": "JSAPI",
              "bank_type": "CMC", "total_fee": order.amount, "fee_type": "CNY", "cash_fee": order.amount,
              "transaction_id": "4200000000202611240000000001", "out_trade_no": order.out_trade_no,
              "time_end": "20261124093000"}
    if sign_type == "HMAC-SHA256":
        params["sign_type"] = "HMAC-SHA256"
    params.update(changes)
    return dict_to_xml(params, _sign(params, key, sign_type))


@pytest.fixture(params=["MD5", "HMAC-SHA256"])
def shop(request, db, make):
    key = secrets.token_hex(16)
    merchant = make.merchant(wechat_app_id=APP_ID, wechat_app_secret=secrets.token_hex(16),
                             wechat_pay_mch_id=MCH_ID, wechat_pay_api_key=key, wechat_pay_sign_type=request.param)
    member = make.member(merchant)
    members.bind_identity(db.session, member, "wechat_openid", OPENID, app_id=APP_ID)
    order = topup_order(db.session, merchant, member)
    db.session.commit()
    return dict(merchant=merchant, member=member, order=order, key=key, sign_type=request.param,
                slug=merchant.slug, order_id=order.id, member_id=member.id, merchant_id=merchant.id)


def topup_order(session, merchant, member, key="topup-1", now=None):
    return orders.create(session, merchant, member.id, kind="topup", channel="wechat", amount=10000,
                         description="储值充值 100 元", items={"principal": 10000, "bonus": 1000}, key=key, now=now)


def post(live_server, slug, body):
    return requests.post(f"{live_server}/payments/wechat/notify/{slug}", data=body.encode("utf-8")
                         if isinstance(body, str) else body, headers={"Content-Type": "text/xml"}, timeout=30)


def answered(response):
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.content)["xml"]["return_code"]


def state_of(db, shop):
    db.session.expire_all()
    order = db.session.get(Order, shop["order_id"])
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == shop["member_id"])).one_or_none()
    credits = db.session.scalar(select(func.count()).select_from(WalletTransaction)
                                .where(WalletTransaction.wallet_id == purse.id)) if purse else 0
    return order.state, (purse.principal, purse.bonus) if purse else (0, 0), credits


def outcomes(db, shop):
    db.session.expire_all()
    return [n.outcome for n in db.session.scalars(
        select(PaymentNotification).where(PaymentNotification.merchant_id == shop["merchant_id"])
        .order_by(PaymentNotification.id))]


def test_does_a_correctly_signed_notification_pay_and_fulfil_the_topup_once(db, live_server, shop):
    response = post(live_server, shop["slug"], notification(shop["order"], shop["key"], shop["sign_type"]))

    assert answered(response) == "SUCCESS"
    assert state_of(db, shop) == ("fulfilled", (10000, 1000), 1)
    order = db.session.get(Order, shop["order_id"])
    assert order.payer == OPENID and order.channel_trade_no == "4200000000202611240000000001"
    assert outcomes(db, shop) == ["accepted"]


def test_is_a_repeated_notification_answered_success_without_crediting_again(db, live_server, shop):
    body = notification(shop["order"], shop["key"], shop["sign_type"])
    assert answered(post(live_server, shop["slug"], body)) == "SUCCESS"

    assert answered(post(live_server, shop["slug"], body)) == "SUCCESS"
    assert state_of(db, shop) == ("fulfilled", (10000, 1000), 1)
    assert outcomes(db, shop) == ["accepted", "duplicate"]


@pytest.mark.parametrize("changes, expected", [
    ({"total_fee": 1, "cash_fee": 1}, "mismatch"),
    ({"fee_type": "USD"}, "mismatch"),
    ({"appid": "wx0000000000000bad"}, "mismatch"),
    ({"mch_id": "1900000999"}, "mismatch"),
])
def test_is_a_signed_notification_that_disagrees_with_the_order_refused(db, live_server, shop, changes, expected):
    response = post(live_server, shop["slug"], notification(shop["order"], shop["key"], shop["sign_type"], **changes))

    assert answered(response) == "FAIL"
    assert state_of(db, shop) == ("created", (0, 0), 0)
    assert outcomes(db, shop) == [expected]


def test_is_a_notification_signed_with_another_key_refused_and_only_counted(db, live_server, shop):
    response = post(live_server, shop["slug"], notification(shop["order"], secrets.token_hex(16), shop["sign_type"]))

    assert answered(response) == "FAIL"
    assert state_of(db, shop) == ("created", (0, 0), 0)
    assert outcomes(db, shop) == []
    assert rejected(db, shop["merchant_id"]) == {("wechat_pay", "bad_signature"): 1}


def test_is_a_notification_signed_with_the_other_sign_type_refused(db, live_server, shop):
    other = "MD5" if shop["sign_type"] == "HMAC-SHA256" else "HMAC-SHA256"

    response = post(live_server, shop["slug"], notification(shop["order"], shop["key"], other))

    assert answered(response) == "FAIL"
    assert outcomes(db, shop) == [] and rejected(db, shop["merchant_id"]) == {("wechat_pay", "bad_signature"): 1}


def test_is_a_notification_for_an_unknown_order_refused(db, live_server, shop):
    body = notification(shop["order"], shop["key"], shop["sign_type"], out_trade_no="MC" + "0" * 30)

    assert answered(post(live_server, shop["slug"], body)) == "FAIL"
    assert outcomes(db, shop) == ["unknown_order"]


def test_does_an_order_of_another_merchant_stay_unpaid_when_notified_through_this_one(db, live_server, make, shop):
    other = make.merchant(wechat_app_id="wx00000000000other", wechat_pay_mch_id="1900000222",
                          wechat_pay_api_key=secrets.token_hex(16))
    db.session.commit()

    body = notification(shop["order"], shop["key"], shop["sign_type"])
    assert answered(post(live_server, other.slug, body)) == "FAIL"
    assert state_of(db, shop) == ("created", (0, 0), 0)


@pytest.mark.parametrize("body", [b"<xml><return_code>SUCCESS", b"not xml at all", b"",
                                  b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>',
                                  b"<xml><appid><nested>1</nested></appid></xml>"])
def test_is_malformed_xml_answered_fail_not_a_server_error(db, live_server, shop, body):
    response = post(live_server, shop["slug"], body)

    assert answered(response) == "FAIL"
    assert outcomes(db, shop) == [] and rejected(db, shop["merchant_id"]) == {("wechat_pay", "malformed"): 1}


def test_is_a_huge_body_answered_fail_without_reading_it_all(db, live_server, shop):
    body = notification(shop["order"], shop["key"], shop["sign_type"]).replace(
        "</xml>", "<attach><![CDATA[" + "x" * 40000 + "]]></attach></xml>")

    response = post(live_server, shop["slug"], body)

    assert answered(response) == "FAIL"
    assert state_of(db, shop) == ("created", (0, 0), 0)
    assert outcomes(db, shop) == [] and rejected(db, shop["merchant_id"]) == {("wechat_pay", "too_large"): 1}


def test_do_15_copies_of_one_notification_arriving_at_once_credit_once(db, live_server, shop):
    body = notification(shop["order"], shop["key"], shop["sign_type"]).encode("utf-8")
    barrier = threading.Barrier(15)
    answers = []

    def deliver():
        barrier.wait()
        answers.append(answered(post(live_server, shop["slug"], body)))

    threads = [threading.Thread(target=deliver) for _ in range(15)]
    with many_connections(count=len(threads)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert answers == ["SUCCESS"] * 15
    assert state_of(db, shop) == ("fulfilled", (10000, 1000), 1)
    assert sorted(outcomes(db, shop)) == ["accepted"] + ["duplicate"] * 14


# --- the query job, through the sandbox's pay API ----------------------------------------------------------

def sandbox_prepay(db, shop, order, paid):
    """What the sandbox holds after the member reached WeChat's payment sheet (and paid, or not)."""
    prepay_id = "wx" + secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="wxpay_prepay", value=prepay_id, app_id=APP_ID, user_key=OPENID,
                                scope=order.out_trade_no, used_at=now_utc() if paid else None))
    sbx.record(db.session, "wxpay_order", APP_ID, prepay_id, {
        "mch_id": MCH_ID, "out_trade_no": order.out_trade_no, "body": order.description, "total_fee": order.amount,
        "fee_type": "CNY", "notify_url": "http://127.0.0.1:9/lost", "sign_type": shop["sign_type"],
        "openid": OPENID})
    db.session.commit()
    return prepay_id


def test_does_the_query_job_complete_a_paid_order_whose_notification_was_lost(db, live_server, shop):
    sandbox_prepay(db, shop, shop["order"], paid=True)

    result = settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1))

    assert result == {shop["order_id"]: "paid"}
    assert state_of(db, shop) == ("fulfilled", (10000, 1000), 1)


def test_does_the_query_job_close_an_unpaid_order_at_wechat_and_here(db, live_server, shop):
    prepay_id = sandbox_prepay(db, shop, shop["order"], paid=False)

    result = settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1))

    assert result == {shop["order_id"]: "closed"}
    assert state_of(db, shop)[0] == "closed"
    db.session.expire_all()
    grant = db.session.scalars(select(SandboxGrant).where(SandboxGrant.value == prepay_id)).one()
    assert grant.kind == "wxpay_closed"


def test_does_the_query_job_close_an_order_that_never_reached_wechat(db, live_server, shop):
    result = settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1))

    assert result == {shop["order_id"]: "closed"}


def test_does_the_query_job_leave_orders_inside_their_time_alone(db, live_server, shop):
    assert settle_overdue_orders(db.session, now=now_utc()) == {}
    assert state_of(db, shop)[0] == "created"


def test_does_a_notification_after_the_job_closed_the_order_change_nothing(db, live_server, shop):
    settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1))

    response = post(live_server, shop["slug"], notification(shop["order"], shop["key"], shop["sign_type"]))

    assert answered(response) == "FAIL"
    assert state_of(db, shop) == ("closed", (0, 0), 0)
    assert outcomes(db, shop) == ["error"]



def test_is_a_channel_answer_with_a_forged_signature_refused_by_the_client(app):
    from wechatpy.exceptions import InvalidSignatureException

    from channels.wechat_pay import MerchantPay

    key = secrets.token_hex(16)
    client = MerchantPay(APP_ID, key, MCH_ID, "HMAC-SHA256", "http://127.0.0.1:9/")
    fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": APP_ID, "mch_id": MCH_ID,
              "trade_state": "SUCCESS", "out_trade_no": "MC1", "total_fee": "10000"}
    forged, genuine = requests.Response(), requests.Response()
    forged._content = dict_to_xml(fields, _sign(fields, secrets.token_hex(16), "HMAC-SHA256")).encode()
    genuine._content = dict_to_xml(fields, _sign(fields, key, "HMAC-SHA256")).encode()

    with pytest.raises(InvalidSignatureException):
        client._handle_result(forged)
    assert client._handle_result(genuine)["trade_state"] == "SUCCESS"
