"""Paying an order with WeChat Pay JSAPI through the sandbox, over real HTTP: the app's unified order, the JSAPI
page, the sandbox cashier (支付 / 取消 / a forged notification) and the notification back to the app."""
import html
import json
import re
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from member_h5 import pay_start
from models import Order, PaymentNotification, Wallet
from services.orders import orders
from sandbox import wechat_state as sbx
from tests.rejected_notifications import rejected
from tests.web.helpers import fresh, wechat_member

OPENID = "oFlow00000000000000000000001"


@pytest.fixture(autouse=True)
def one_delivery(app, monkeypatch):
    """One notification per payment: the compressed retry schedule would outlive the test's tables."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))


@pytest.fixture(params=["HMAC-SHA256", "MD5"])
def shop(request, db, make):
    merchant = make.merchant(name="测试咖啡")
    sbx.provision_account(db.session, merchant)
    merchant.wechat_pay_sign_type = request.param
    member = wechat_member(make, merchant, OPENID)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="wechat", amount=10000,
                          description="储值充值 100 元", items={"principal": 10000, "bonus": 1000}, key="flow-1")
    db.session.commit()
    return dict(merchant=merchant, member=member, order=order)


def start_page(app, live_server, shop):
    with app.test_request_context("/", base_url=live_server):
        return pay_start.start(shop["merchant"], shop["order"])


def cashier_url(page, live_server):
    href = re.search(r'id="sandbox-cashier" href="([^"]+)"', page).group(1)
    return live_server + html.unescape(href)


def jsapi_params(page):
    return json.loads(re.search(r'<script type="application/json" id="wechat-pay-data">(.*?)</script>', page,
                                re.S).group(1))["params"]


def wallet_of(db, shop):
    db.session.expire_all()
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == shop["member"].id)).one_or_none()
    return (purse.principal, purse.bonus) if purse else (0, 0)


def notifications(db, shop):
    db.session.expire_all()
    return [n.outcome for n in db.session.scalars(select(PaymentNotification).order_by(PaymentNotification.id))]


def test_does_a_member_pay_a_topup_through_the_sandbox_cashier(app, db, live_server, shop):
    page = start_page(app, live_server, shop)
    cashier = requests.get(cashier_url(page, live_server), timeout=30)
    assert cashier.status_code == 200 and "¥100.00" in cashier.text

    paid = requests.post(cashier.url, data={"action": "pay", "tamper": "", "return": "/h5/back"}, timeout=30)

    assert "支付成功" in paid.text and "商户应答：SUCCESS" in paid.text
    order = fresh(shop["order"])
    assert order.state == "fulfilled" and order.payer == OPENID and order.channel_trade_no.startswith("4200")
    assert wallet_of(db, shop) == (10000, 1000)
    assert notifications(db, shop) == ["accepted"]


def test_are_the_jsapi_parameters_signed_with_the_merchants_sign_type(app, db, live_server, shop):
    params = jsapi_params(start_page(app, live_server, shop))

    merchant = shop["merchant"]
    given = params.pop("paySign")
    sign = calculate_signature_hmac if merchant.wechat_pay_sign_type == "HMAC-SHA256" else calculate_signature
    assert params["signType"] == merchant.wechat_pay_sign_type and params["appId"] == merchant.wechat_app_id
    assert params["package"].startswith("prepay_id=wx")
    assert given == sign(params, merchant.wechat_pay_api_key)


def test_does_opening_the_payment_page_twice_reuse_the_same_prepay(app, db, live_server, shop):
    first = jsapi_params(start_page(app, live_server, shop))["package"]

    assert jsapi_params(start_page(app, live_server, shop))["package"] == first


def test_does_cancelling_at_the_cashier_leave_the_order_unpaid(app, db, live_server, shop):
    url = cashier_url(start_page(app, live_server, shop), live_server)

    page = requests.post(url, data={"action": "cancel"}, timeout=30)

    assert "已取消支付" in page.text
    assert fresh(shop["order"]).state == "created" and wallet_of(db, shop) == (0, 0)
    assert notifications(db, shop) == []


@pytest.mark.parametrize("tamper, kept, counted", [("amount", ["mismatch"], {}),
                                                    ("signature", [], {("wechat_pay", "bad_signature"): 1})])
def test_does_a_forged_notification_from_the_cashier_change_nothing(app, db, live_server, shop, tamper, kept,
                                                                   counted):
    url = cashier_url(start_page(app, live_server, shop), live_server)

    page = requests.post(url, data={"action": "pay", "tamper": tamper}, timeout=30)

    assert "商户应答：FAIL" in page.text
    assert fresh(shop["order"]).state == "created" and wallet_of(db, shop) == (0, 0)
    assert notifications(db, shop) == kept and rejected(db) == counted


def test_does_paying_twice_at_the_cashier_credit_once(app, db, live_server, shop):
    url = cashier_url(start_page(app, live_server, shop), live_server)
    requests.post(url, data={"action": "pay"}, timeout=30)

    again = requests.post(url, data={"action": "pay"}, timeout=30)

    assert "该订单已支付" in again.text
    assert wallet_of(db, shop) == (10000, 1000)


def test_does_the_cashier_refuse_to_send_the_member_to_another_site(app, db, live_server, shop):
    url = cashier_url(start_page(app, live_server, shop), live_server)

    page = requests.post(url, data={"action": "cancel", "return": "https://evil.example/"}, timeout=30)

    assert "evil.example" not in page.text


def test_is_a_member_without_a_wechat_identity_told_to_open_wechat(app, db, live_server, make, shop):
    stranger = make.member(shop["merchant"])
    order = orders.create(db.session, shop["merchant"], stranger.id, kind="topup", channel="wechat", amount=5000,
                          description="储值充值 50 元", items={"principal": 5000}, key="flow-2")
    db.session.commit()

    with app.test_request_context("/", base_url=live_server), pytest.raises(DomainError, match="微信"):
        pay_start.start(shop["merchant"], order)


def test_is_an_expired_order_refused_before_reaching_wechat(app, db, live_server, shop):
    order = db.session.get(Order, shop["order"].id)
    order.expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()

    with app.test_request_context("/", base_url=live_server), pytest.raises(Conflict):
        pay_start.start(shop["merchant"], order)


def test_does_the_sandbox_refuse_a_unified_order_signed_with_a_wrong_key(app, db, live_server, shop):
    merchant = shop["merchant"]
    real_key = merchant.wechat_pay_api_key
    merchant.wechat_pay_api_key = "0" * 32
    try:
        with app.test_request_context("/", base_url=live_server), pytest.raises(DomainError, match="签名错误"):
            pay_start.start(merchant, shop["order"])
    finally:
        merchant.wechat_pay_api_key = real_key


def test_does_the_sandbox_repeat_a_refused_notification_on_its_schedule(app, db, live_server, shop, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0, 0, 0))
    url = cashier_url(start_page(app, live_server, shop), live_server)

    requests.post(url, data={"action": "pay", "tamper": "signature"}, timeout=30)

    deadline = time.monotonic() + 10
    while rejected(db).get(("wechat_pay", "bad_signature"), 0) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rejected(db) == {("wechat_pay", "bad_signature"): 3} and notifications(db, shop) == []
    assert fresh(shop["order"]).state == "created"
