"""微信支付 / 支付宝 by the customer's payment code on the staff 收银 page and through the JSON API, against the
sandbox over real HTTP; the simulated phone's 付款码 page."""
import re
import time

import pytest
from sqlalchemy import select

from domain import roles
from extensions import db
from models.checkout import Checkout
from sandbox import paycodes
from sandbox.wechat_pay_refunds import pend_next_refund
from services.till import refunds as checkout_refunds
from tests.integration.till.test_till_channels import till  # noqa: F401  (fixture: a shop with both channels)
from tests.web.helpers import text_of
from tests.web.api.test_api import auth, error_of, make_key
from tests.web.staff_h5.test_staff_h5 import staff_login


@pytest.fixture(autouse=True)
def quick(app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))
    monkeypatch.setitem(app.config, "SANDBOX_PASSWORD_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "TILL_POLL_SECONDS", 0.1)


def fields(body, form_id):
    """The named inputs of one form on the page, as the browser would send them."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', body, re.S).group(0)
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))


def code_form(client, tender, amount="88"):
    page = client.post("/staff/checkout/quote", data={"amount": amount, "walk_in": "1", "tender": tender})
    body = text_of(page)
    assert page.status_code == 200, body
    assert 'name="auth_code"' in body and "扫顾客的付款码收款" in body and 'id="scan"' in body
    return fields(body, "lookup-form")


def checkouts():
    db.session.expire_all()
    return db.session.scalars(select(Checkout)).all()


@pytest.mark.parametrize("tender, label", [("wechat", "微信支付"), ("alipay", "支付宝")])
def test_does_a_cashier_take_a_payment_code_and_print_the_trade_number(client, till, tender, label):
    staff_login(client, till["cashier"])
    data = code_form(client, tender)

    paid = client.post("/staff/checkout/pay", data=data | {"auth_code": paycodes.new_code(tender)})

    assert paid.status_code == 302, text_of(paid)
    made = checkouts()[0]
    assert made.tender == tender and made.pay == 8800 and made.channel_trade_no
    receipt = text_of(client.get(paid.headers["Location"]))
    assert f"{label}交易号" in receipt and made.channel_trade_no in receipt and "收款成功" in receipt
    assert made.channel_trade_no in text_of(client.get(f"/staff/checkouts/{made.id}/print"))


def test_does_a_scanned_code_pay_through_the_scan_widgets_field(client, till):
    staff_login(client, till["cashier"])
    data = code_form(client, "alipay")
    paid = client.post("/staff/checkout/pay", data=data | {"code": paycodes.new_code("alipay"), "via": "scan"})
    assert paid.status_code == 302 and len(checkouts()) == 1


def test_does_the_page_wait_for_the_password_then_show_the_receipt(client, till):
    staff_login(client, till["cashier"])
    data = code_form(client, "wechat")

    waiting = client.post("/staff/checkout/pay", data=data | {"auth_code": paycodes.new_code("wechat", "password")})
    body = text_of(waiting)
    assert waiting.status_code == 202 and "等待顾客输入密码…" in body and checkouts() == []
    assert re.search(r'<span id="wait-left">\d+</span>', body)
    again = fields(body, "wait-form")
    assert again["started"].isdigit() and again["key"] == data["key"]
    time.sleep(0.4)

    paid = client.post("/staff/checkout/pay", data=again)
    assert paid.status_code == 302, text_of(paid)
    assert len(checkouts()) == 1 and checkouts()[0].channel_trade_no


def test_is_a_payer_who_never_types_the_password_reversed_and_a_new_key_given(app, client, till, monkeypatch):
    monkeypatch.setitem(app.config, "TILL_PAY_WAIT_SECONDS", 1)
    staff_login(client, till["cashier"])
    data = code_form(client, "wechat")
    waiting = client.post("/staff/checkout/pay", data=data | {"auth_code": paycodes.new_code("wechat", "never")})
    assert waiting.status_code == 202
    time.sleep(1.1)

    refused = client.post("/staff/checkout/pay", data=fields(text_of(waiting), "wait-form"))
    body = text_of(refused)
    assert refused.status_code == 409 and "已撤销该笔微信支付交易" in body and checkouts() == []
    assert fields(body, "lookup-form")["key"] != data["key"]


@pytest.mark.parametrize("kind, message", [("notenough", "顾客余额不足"), ("expired", "刷新付款码")])
def test_is_a_refused_code_shown_to_the_cashier_with_nothing_recorded(client, till, kind, message):
    staff_login(client, till["cashier"])
    data = code_form(client, "alipay")
    refused = client.post("/staff/checkout/pay", data=data | {"auth_code": paycodes.new_code("alipay", kind)})
    body = text_of(refused)
    assert refused.status_code == 409 and message in body and checkouts() == []
    assert 'id="checkout-error"' in body and fields(body, "lookup-form")["key"] != data["key"]


def test_is_a_mistyped_code_refused_and_the_same_key_kept(client, till):
    staff_login(client, till["cashier"])
    data = code_form(client, "wechat")
    refused = client.post("/staff/checkout/pay", data=data | {"auth_code": "12345"})
    body = text_of(refused)
    assert refused.status_code == 400 and "付款码格式不正确" in body and checkouts() == []
    assert fields(body, "lookup-form")["key"] == data["key"]


def test_is_wechat_recorded_as_paid_outside_when_the_merchant_has_no_wechat_pay(client, make):
    merchant = make.merchant(name="无支付小店")
    store = make.store(merchant, "一号店")
    cashier = make.staff(merchant, role=roles.CASHIER, username="cashier", stores_=[store])
    db.session.commit()
    staff_login(client, cashier)
    page = client.post("/staff/checkout/quote", data={"amount": "20", "walk_in": "1", "tender": "wechat"})
    body = text_of(page)
    assert 'name="auth_code"' not in body and "此处仅记录" in body and 'id="confirm-pay"' in body


def test_can_the_receipt_ask_for_a_refund_still_processing(client, till):
    staff_login(client, till["cashier"])
    paid = client.post("/staff/checkout/pay", data=code_form(client, "wechat") | {
        "auth_code": paycodes.new_code("wechat")})
    made = checkouts()[0]
    pend_next_refund(db.session, till["merchant"])
    db.session.commit()
    checkout_refunds.refund(db.session, till["owner"], made.id, 8800, reason="整单退", key="r1")
    db.session.commit()
    receipt = text_of(client.get(paid.headers["Location"]))
    assert "原路退款处理中" in receipt
    printed = text_of(client.get(f"/staff/checkouts/{made.id}/print"))  # the 58 mm ticket says it too
    assert 'id="receipt-refunds"' in printed and "整单退" in printed and "原路退款处理中" in printed
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', receipt)
    asked = client.post(f"/staff/checkouts/{made.id}/refunds/1/settle", data={"csrf_token": token.group(1)}
                        if token else {})
    assert asked.status_code == 302 and "渠道仍在处理" in text_of(client.get(asked.headers["Location"]))


def post_pay(client, key, body, request_key):
    return client.post("/api/v1/checkout/pay", json=body, headers=auth(key, **{"Idempotency-Key": request_key}))


def test_does_the_api_charge_an_auth_code_once_per_key(client, till):
    key = make_key(till["owner"])
    body = {"store_id": till["store"].id, "amount": 6600, "tender": "alipay",
            "auth_code": paycodes.new_code("alipay", "password")}
    first = post_pay(client, key, body, "sale-1")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["channel_trade_no"] and first.get_json()["tender"] == "alipay"
    again = post_pay(client, key, body, "sale-1")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"] and len(checkouts()) == 1


@pytest.mark.parametrize("extra, status, message", [
    ({"tender": "cash", "auth_code": "134567890123456789"}, 422, "auth_code"),
    ({"tender": "wechat", "auth_code": 12}, 422, "auth_code"),
    ({"tender": "wechat", "auth_code": "bad"}, 422, "付款码格式不正确"),
    ({"tender": "wechat", "auth_code": "134567890123453333"}, 409, "余额不足"),
])
def test_does_the_api_refuse_a_bad_or_refused_auth_code(client, till, extra, status, message):
    key = make_key(till["owner"])
    response = post_pay(client, key, {"store_id": till["store"].id, "amount": 100, **extra}, "sale-2")
    assert response.status_code == status and message in error_of(response)["message"]
    assert checkouts() == []


def test_does_the_api_still_record_wechat_without_a_code_as_paid_outside(client, till):
    key = make_key(till["owner"])
    response = post_pay(client, key, {"store_id": till["store"].id, "amount": 100, "tender": "wechat"}, "s3")
    assert response.status_code == 201 and response.get_json()["channel_trade_no"] is None


@pytest.mark.parametrize("channel, shape", [("wechat", r"1[0-5]\d{16}"), ("alipay", r"28\d{14}")])
def test_does_the_phone_show_a_fresh_payment_code(client, till, channel, shape):
    page = text_of(client.get(f"/sandbox/paycode?channel={channel}&kind=password"))
    code = re.search(r'data-code="(\d+)"', page).group(1)
    assert re.fullmatch(shape, code) and code.endswith("1111") and page.count("<svg") == 2
    assert 'id="paycode-barcode"' in page and 'aria-label="条形码"' in page
    assert "付款码" in text_of(client.get(f"/sandbox/phone?m={till['merchant'].slug}"))
