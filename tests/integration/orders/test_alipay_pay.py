"""Alipay payment notifications, RSA2-signed with an "Alipay" key made in the test, and the query for lost ones."""
import json
from base64 import b64encode
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, select

from channels import alipay_trades
from channels.alipay import client_for
from domain.clock import now_utc
from extensions import db as database
from jobs.payments import settle_overdue_orders
from models import Order, PaymentNotification, Wallet, WalletTransaction
from sandbox import alipay_cashier, alipay_keys, alipay_trades as sandbox_trades
from sandbox.alipay_keys import provision_merchant
from services.orders import channel_payments, orders
from tests.integration.helpers import run_concurrently
from tests.rejected_notifications import rejected

SELLER = "2088000000000777"


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def alipay_key():
    """The "Alipay" private key of these tests; the merchant holds its public half."""
    return _new_key()


@pytest.fixture()
def shop(make, db, alipay_key):
    merchant = make.merchant(name="支付宝收款店", alipay_app_id="2021000000000042", alipay_seller_id=SELLER)
    merchant.alipay_private_key = _new_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    merchant.alipay_public_key = alipay_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    db.session.commit()
    return merchant


def _topup(db, make, merchant, key="topup-1", now=None):
    member = make.member(merchant)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                          description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key=key, now=now)
    db.session.commit()
    return order


def _fields(merchant, order, **overrides):
    fields = {"notify_time": "2026-11-24 10:00:00", "notify_type": "trade_status_sync", "notify_id": "n1",
              "app_id": merchant.alipay_app_id, "charset": "utf-8", "version": "1.0",
              "trade_no": "2026112422001400000000000001", "out_trade_no": order.out_trade_no,
              "buyer_id": "2088000000000123", "seller_id": SELLER, "trade_status": "TRADE_SUCCESS",
              "total_amount": "100.00", "subject": "充值 100 元", "gmt_payment": "2026-11-24 09:59:58"}
    fields.update(overrides)
    return fields


def _signed_body(key, fields):
    message = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    signature = b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return urlencode(dict(fields, sign_type="RSA2", sign=signature))


def _post(client, merchant, body):
    response = client.post(f"/payments/alipay/notify/{merchant.slug}", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _state(db, order_id):
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    wallet = db.session.scalars(select(Wallet).where(Wallet.member_id == order.member_id)).one_or_none()
    balance = (wallet.principal, wallet.bonus) if wallet else (0, 0)
    return order.state, balance


def _outcomes(db):
    db.session.expire_all()
    return [n.outcome for n in db.session.scalars(select(PaymentNotification).order_by(PaymentNotification.id))]


def test_does_a_signed_notification_credit_the_wallet_once(client, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    assert _post(client, shop, _signed_body(alipay_key, _fields(shop, order))) == "success"
    assert _state(db, order.id) == ("fulfilled", (10000, 1000))
    paid = db.session.get(Order, order.id)
    assert paid.channel_trade_no == "2026112422001400000000000001" and paid.payer == "2088000000000123"
    assert _outcomes(db) == ["accepted"]


@pytest.mark.parametrize("overrides, outcome", [
    ({"total_amount": "1.00"}, "mismatch"),
    ({"total_amount": "100.001"}, "mismatch"),
    ({"app_id": "2021000000000999"}, "mismatch"),
    ({"seller_id": "2088000000000999"}, "mismatch"),
    ({"trade_status": "WAIT_BUYER_PAY"}, "not_paid"),
    ({"out_trade_no": "MC" + "0" * 30}, "unknown_order"),
])
def test_is_a_signed_notification_that_disagrees_with_the_order_refused(client, db, make, shop, alipay_key,
                                                                       overrides, outcome):
    order = _topup(db, make, shop)
    assert _post(client, shop, _signed_body(alipay_key, _fields(shop, order, **overrides))) == "failure"
    assert _state(db, order.id) == ("created", (0, 0))
    assert _outcomes(db) == [outcome]
    kept = db.session.scalars(select(PaymentNotification)).one()
    assert kept.channel == "alipay" and kept.merchant_id == shop.id and overrides[next(iter(overrides))] in kept.body


def test_is_a_notification_signed_by_another_key_refused(client, db, make, shop):
    order = _topup(db, make, shop)
    assert _post(client, shop, _signed_body(_new_key(), _fields(shop, order))) == "failure"
    assert _state(db, order.id) == ("created", (0, 0))
    assert _outcomes(db) == [] and rejected(db, shop.id) == {("alipay", "bad_signature"): 1}


def test_is_an_amount_changed_after_signing_refused(client, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    body = _signed_body(alipay_key, _fields(shop, order)).replace("total_amount=100.00", "total_amount=1.00")
    assert _post(client, shop, body) == "failure"
    assert _state(db, order.id) == ("created", (0, 0))
    assert _outcomes(db) == [] and rejected(db, shop.id) == {("alipay", "bad_signature"): 1}


def test_is_a_notification_without_rsa2_refused(client, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    body = _signed_body(alipay_key, _fields(shop, order)).replace("sign_type=RSA2", "sign_type=RSA")
    assert _post(client, shop, body) == "failure"
    assert _outcomes(db) == [] and rejected(db, shop.id) == {("alipay", "bad_signature"): 1}


def test_is_a_repeated_notification_answered_success_and_credited_once(client, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    body = _signed_body(alipay_key, _fields(shop, order))
    assert [_post(client, shop, body) for _ in range(3)] == ["success"] * 3
    assert _state(db, order.id) == ("fulfilled", (10000, 1000))
    assert _outcomes(db) == ["accepted", "duplicate", "duplicate"]


@pytest.mark.parametrize("body, reason", [
    (b"", "bad_signature"), (b"%zz=%%&&&", "malformed"), (b"sign=a&sign=b", "malformed"),
    (b"total_amount=100\xff\xfe", "malformed"), (b"x" * 20000, "too_large"),
    (b"sign_type=RSA2&sign=%%%not-base64", "bad_signature"),
])
def test_is_a_malformed_notification_answered_failure_not_500(client, db, make, shop, body, reason):
    response = client.post(f"/payments/alipay/notify/{shop.slug}", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "failure")
    assert _outcomes(db) == [] and rejected(db, shop.id) == {("alipay", reason): 1}


def test_does_a_failing_fulfilment_answer_failure_and_leave_the_order_unpaid(client, db, make, shop, alipay_key):
    member = make.member(shop)
    order = orders.create(db.session, shop, member.id, kind="topup", channel="alipay", amount=10000,
                          description="充值 100 元", items={"bonus": 1000}, key="broken-snapshot")
    db.session.commit()
    assert _post(client, shop, _signed_body(alipay_key, _fields(shop, order))) == "failure"
    assert _state(db, order.id) == ("created", (0, 0))
    assert _outcomes(db) == ["error"]


def test_is_a_notification_for_an_unknown_merchant_refused(client, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    response = client.post("/payments/alipay/notify/no-such-shop", data=_signed_body(alipay_key, _fields(shop, order)),
                           content_type="application/x-www-form-urlencoded")
    assert response.get_data(as_text=True) == "failure"
    assert _outcomes(db) == [] and rejected(db) == {("alipay", "unknown_merchant"): 1}
    assert rejected(db, 0) == {("alipay", "unknown_merchant"): 1}
    assert _state(db, order.id) == ("created", (0, 0))


def test_do_fifteen_copies_at_once_over_http_credit_once(app, live_server, db, make, shop, alipay_key):
    order = _topup(db, make, shop)
    order_id, url = order.id, f"{live_server}/payments/alipay/notify/{shop.slug}"
    body = _signed_body(alipay_key, _fields(shop, order))

    def post(session, index):
        return requests.post(url, data=body, timeout=60,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}).text

    answers, errors = run_concurrently(app, 15, post)
    assert errors == [] and answers == ["success"] * 15
    assert _state(db, order_id) == ("fulfilled", (10000, 1000))
    outcomes = _outcomes(db)
    assert sorted(outcomes) == ["accepted"] + ["duplicate"] * 14
    assert database.session.scalar(select(func.count()).select_from(WalletTransaction)) == 1


# --- settle_by_query against the sandbox gateway -------------------------------------------------------

@pytest.fixture()
def sandbox_shop(make, db):
    merchant = provision_merchant(db.session, make.merchant(name="沙箱支付宝店"))
    db.session.commit()
    return merchant


def test_does_provisioning_give_a_seller_id_once_and_tell_the_sandbox(db, make, sandbox_shop):
    seller = sandbox_shop.alipay_seller_id
    assert seller.startswith("2088") and len(seller) == 16
    provision_merchant(db.session, sandbox_shop)
    assert sandbox_shop.alipay_seller_id == seller
    assert alipay_keys.seller_id(sandbox_shop.alipay_app_id) == seller


def test_does_the_sandbox_sign_its_notification_so_the_merchant_can_verify_it(db, make, sandbox_shop):
    order = _topup(db, make, sandbox_shop)
    _sandbox_trade(db, sandbox_shop, order, "TRADE_SUCCESS")
    trade = sandbox_trades.load_trade(sandbox_shop.alipay_app_id, order.out_trade_no)[1]
    verifier = client_for(sandbox_shop)
    for tamper, valid, amount in (("", True, "100.00"), ("amount", True, "101.00"), ("signature", False, "100.00")):
        fields = alipay_cashier.notification_fields(trade, tamper)
        assert fields["seller_id"] == sandbox_shop.alipay_seller_id and fields["total_amount"] == amount
        signature = fields.pop("sign")
        assert verifier.verify(fields, signature) is valid


def _sandbox_trade(db, merchant, order, status):
    trade = {"app_id": merchant.alipay_app_id, "out_trade_no": order.out_trade_no, "total_amount": "100.00",
             "subject": order.description, "status": status, "trade_no": "2026112422001499999999999999",
             "notify_url": "", "return_url": "", "quit_url": "", "time_expire": "", "gmt_create": "2026-11-24 09:00:00",
             "gmt_payment": "2026-11-24 09:01:00", "buyer_id": "2088000000000555"}
    alipay_keys.put(db.session, sandbox_trades.trade_key(merchant.alipay_app_id, order.out_trade_no),
                    json.dumps(trade, ensure_ascii=False, sort_keys=True))
    db.session.commit()


def test_does_the_query_settle_a_paid_order_whose_notification_was_lost(db, make, sandbox_shop):
    order = _topup(db, make, sandbox_shop)
    _sandbox_trade(db, sandbox_shop, order, "TRADE_SUCCESS")
    assert channel_payments.settle_by_query(db.session, order) == "paid"
    db.session.commit()
    assert _state(db, order.id) == ("fulfilled", (10000, 1000))
    assert db.session.get(Order, order.id).payer == "2088000000000555"


def test_does_the_query_close_an_unpaid_order_on_alipay_and_here(db, make, sandbox_shop):
    order = _topup(db, make, sandbox_shop, now=now_utc() - timedelta(hours=1))
    _sandbox_trade(db, sandbox_shop, order, "WAIT_BUYER_PAY")
    assert channel_payments.settle_by_query(db.session, order) == "closed"
    db.session.commit()
    assert _state(db, order.id) == ("closed", (0, 0))
    assert sandbox_trades.load_trade(sandbox_shop.alipay_app_id, order.out_trade_no)[1]["status"] == "TRADE_CLOSED"


def test_does_the_query_close_an_order_whose_cashier_was_never_opened(db, make, sandbox_shop):
    order = _topup(db, make, sandbox_shop, now=now_utc() - timedelta(hours=1))
    assert channel_payments.settle_by_query(db.session, order) == "closed"
    db.session.commit()
    assert _state(db, order.id) == ("closed", (0, 0))


def test_is_a_paid_trade_with_another_amount_refused_by_the_query(db, make, sandbox_shop):
    order = _topup(db, make, sandbox_shop)
    _sandbox_trade(db, sandbox_shop, order, "TRADE_SUCCESS")
    text, trade = sandbox_trades.load_trade(sandbox_shop.alipay_app_id, order.out_trade_no)
    assert sandbox_trades.swap(dict(trade, total_amount="1.00"), text)
    with pytest.raises(orders.PaymentMismatch):
        channel_payments.settle_by_query(db.session, order)
    db.session.rollback()
    assert _state(db, order.id) == ("created", (0, 0))


def test_are_amounts_converted_between_fen_and_yuan_without_float():
    assert [alipay_trades.yuan_text(v) for v in (1, 10, 100, 10000, 123456789)] == [
        "0.01", "0.10", "1.00", "100.00", "1234567.89"]
    assert [alipay_trades.fen_from_text(t) for t in ("0.01", "100.00", "100.5", "100", "1234567.89")] == [
        1, 10000, 10050, 10000, 123456789]
    assert [alipay_trades.fen_from_text(t) for t in ("", "-1.00", "1e3", "100.001", " 1.00", "01.00", None)] == [
        None] * 7


def test_does_the_unpaid_order_job_settle_alipay_orders_through_the_query(db, make, sandbox_shop):
    paid, unpaid = _topup(db, make, sandbox_shop, key="job-paid"), _topup(db, make, sandbox_shop, key="job-unpaid")
    _sandbox_trade(db, sandbox_shop, paid, "TRADE_SUCCESS")
    _sandbox_trade(db, sandbox_shop, unpaid, "WAIT_BUYER_PAY")
    assert settle_overdue_orders(db.session, now=now_utc() + timedelta(hours=1)) == {paid.id: "paid",
                                                                                     unpaid.id: "closed"}
    assert _state(db, paid.id) == ("fulfilled", (10000, 1000))
    assert _state(db, unpaid.id)[0] == "closed"
