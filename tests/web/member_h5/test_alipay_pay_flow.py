"""Alipay wap pay end to end over real HTTP: start -> sandbox cashier -> pay -> signed notification -> fulfilled."""
import re
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import current_app
from sqlalchemy import select, update

from channels.alipay import client_for
from domain.clock import now_utc
from member_h5 import pay_start
from models import Order, PaymentNotification, Wallet
from sandbox.alipay_keys import provision_merchant
from services.orders import orders
from services.orders.channel_payments import settle_by_query
from services.wallet import stored_value
from tests.rejected_notifications import rejected
from tests.web.helpers import wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import ALIPAY_UA, provision


@pytest.fixture()
def shop(merchant, db, live_server):
    provision_merchant(db.session, merchant)
    db.session.commit()
    return merchant


@pytest.fixture()
def order(shop, make, db):
    member = make.member(shop)
    created = orders.create(db.session, shop, member.id, kind="topup", channel="alipay", amount=10000,
                            description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key="flow-1")
    db.session.commit()
    return created


def _cashier(app, shop, order):
    """The member's browser follows start()'s redirect to the sandbox cashier page."""
    with app.test_request_context():
        response = pay_start.start(shop, order)
    assert response.status_code == 302
    page = requests.get(response.location, timeout=30)
    assert page.status_code == 200, page.text
    return response.location, page.text


def _pay(shop, order, **form):
    return requests.post(f"{_base(shop)}/sandbox/alipay/cashier", allow_redirects=False, timeout=30,
                         data={"app_id": shop.alipay_app_id, "out_trade_no": order.out_trade_no, "action": "pay",
                               **form})


def _base(shop):
    return current_app.config["PUBLIC_BASE_URL"]


def _wait_for(db, order, predicate, seconds=15):
    """Outcomes of the notifications for the order (by out_trade_no: a bad signature is linked to no order)."""
    out_trade_no, deadline = order.out_trade_no, time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        notes = db.session.scalars(select(PaymentNotification).where(PaymentNotification.out_trade_no == out_trade_no)
                                   .order_by(PaymentNotification.id)).all()
        if predicate([n.outcome for n in notes]):
            return [n.outcome for n in notes]
        time.sleep(0.1)
    raise AssertionError(f"notifications for order {order.id}: {[n.outcome for n in notes]}")


def test_does_paying_at_the_sandbox_cashier_fulfil_the_order(app, db, shop, order):
    start_url, page = _cashier(app, shop, order)
    query = dict(parse_qsl(urlsplit(start_url).query))
    assert query["method"] == "alipay.trade.wap.pay" and query["sign_type"] == "RSA2"
    assert query["notify_url"].endswith(f"/payments/alipay/notify/{shop.slug}")
    assert '"total_amount":"100.00"' in query["biz_content"]
    assert "¥100.00" in page and "充值 100 元" in page and "支付" in page and "取消" in page

    paid = _pay(shop, order)
    assert paid.status_code == 302
    assert paid.headers["Location"].startswith(f"{_base(shop)}/h5/{shop.slug}/orders/{order.id}?")
    returned = dict(parse_qsl(urlsplit(paid.headers["Location"]).query))
    signature = returned.pop("sign")
    assert client_for(shop).verify(returned, signature)  # the synchronous return is signed by "Alipay" too

    assert _wait_for(db, order, lambda outcomes: "accepted" in outcomes) == ["accepted"]
    fulfilled = db.session.get(Order, order.id)
    wallet = db.session.scalars(select(Wallet).where(Wallet.member_id == fulfilled.member_id)).one()
    assert (fulfilled.state, wallet.principal, wallet.bonus) == ("fulfilled", 10000, 1000)
    assert re.match(r"^2088[0-9]{12}$", fulfilled.payer) and fulfilled.channel_trade_no

    again = _pay(shop, order)
    assert again.status_code == 409 and "该交易已支付" in again.text


def test_is_an_altered_notification_from_the_sandbox_refused_kept_and_retried(app, db, shop, order, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0, 0.2, 0.2))
    _cashier(app, shop, order)
    assert _pay(shop, order, tamper="amount").status_code == 302
    assert _wait_for(db, order, lambda outcomes: len(outcomes) == 3) == ["mismatch"] * 3
    time.sleep(0.5)
    assert _wait_for(db, order, lambda outcomes: True) == ["mismatch"] * 3  # "failure" three times, then given up
    assert db.session.get(Order, order.id).state == "created"


def test_is_a_forged_notification_from_the_sandbox_refused_counted_and_retried(app, db, shop, order, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0, 0.2, 0.2))
    _cashier(app, shop, order)
    assert _pay(shop, order, tamper="signature").status_code == 302
    deadline = time.monotonic() + 15
    while rejected(db).get(("alipay", "bad_signature"), 0) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    assert rejected(db, shop.id) == {("alipay", "bad_signature"): 3}  # "failure" three times, then given up
    assert _wait_for(db, order, lambda outcomes: True) == []  # not kept in full: its signature did not verify
    assert db.session.get(Order, order.id).state == "created"


def test_does_cancelling_at_the_cashier_return_unpaid_and_let_the_job_close_it(app, db, shop, order):
    _cashier(app, shop, order)
    cancelled = requests.post(f"{_base(shop)}/sandbox/alipay/cashier", allow_redirects=False, timeout=30,
                              data={"app_id": shop.alipay_app_id, "out_trade_no": order.out_trade_no,
                                    "action": "cancel"})
    assert cancelled.headers["Location"] == f"{_base(shop)}/h5/{shop.slug}/orders/{order.id}"
    # Time passes; the unpaid-order job asks Alipay.
    db.session.execute(update(Order).where(Order.id == order.id).values(expires_at=now_utc() - timedelta(minutes=1)))
    db.session.commit()
    assert settle_by_query(db.session, order) == "closed"
    db.session.commit()
    assert db.session.get(Order, order.id).state == "closed"
    refused = _pay(shop, order)
    assert refused.status_code == 409 and "该交易已关闭" in refused.text


def test_does_the_gateway_refuse_a_cashier_request_with_a_bad_signature(app, db, shop, order):
    start_url, _ = _cashier(app, shop, order)
    forged = start_url.replace("total_amount%22%3A%22100.00", "total_amount%22%3A%220.01")
    assert forged != start_url
    answer = requests.get(forged, timeout=30)
    assert "isv.invalid-signature" in answer.text


def test_is_an_order_past_its_time_not_payable_at_the_cashier(app, db, shop, make):
    member = make.member(shop)
    late = orders.create(db.session, shop, member.id, kind="topup", channel="alipay", amount=5000,
                         description="充值 50 元", items={"principal": 5000}, key="late-1",
                         now=now_utc() - timedelta(hours=1))
    db.session.commit()
    _, page = _cashier(app, shop, late)
    assert "该交易已超时" in page and 'id="cashier-pay"' not in page
    assert _pay(shop, late).status_code == 409
    assert db.session.get(Order, late.id).state == "created"


def test_does_a_member_top_up_in_h5_through_the_sandbox_alipay(db, make, client, live_server):
    shop = provision(db, make.merchant(name="支付宝充值店"))
    owner = make.staff(shop, username="alipayboss")
    stored_value.enable(db.session, owner)
    rule = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=0,
                                  instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    member = wechat_member(make, shop, "o-alipay-topup-000000000000001")
    phone = wechat_phone(client, shop, "o-alipay-topup-000000000000001")
    page = phone.get(f"/h5/{shop.slug}/topup", headers={"User-Agent": ALIPAY_UA}).get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    started = phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id)},
                         headers={"User-Agent": ALIPAY_UA})
    assert started.status_code == 302 and started.location.startswith(current_app.config["ALIPAY_GATEWAY"])
    order = db.session.scalars(select(Order).where(Order.member_id == member.id)).one()
    assert requests.get(started.location, timeout=30).status_code == 200

    returned = _pay(shop, order)
    assert returned.headers["Location"].startswith(f"{live_server}/h5/{shop.slug}/orders/{order.id}")
    assert _wait_for(db, order, lambda outcomes: "accepted" in outcomes) == ["accepted"]
    wallet = db.session.scalars(select(Wallet).where(Wallet.member_id == member.id)).one()
    assert (db.session.get(Order, order.id).state, wallet.principal, wallet.bonus) == ("fulfilled", 10000, 1000)
    detail = phone.get(f"/h5/{shop.slug}/orders/{order.id}", headers={"User-Agent": ALIPAY_UA})
    assert detail.status_code == 200 and "已完成" in detail.get_data(as_text=True)
