"""Shared fixtures and helpers for the member H5 tests (no tests here; the test_h5_* modules import them).

Logins go through the real channel flows where that is the point of a test: the app's wechatpy and
python-alipay-sdk clients call the sandbox over HTTP on the live server, and the browser's side of the
redirects is walked with the test client.
"""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Response
from sqlalchemy import select

from member_h5 import pay_start
from models import SandboxOutbox, SandboxUser
from services.rewards import gifts as gift_rules
from sandbox import wechat_state as wechat_sandbox
from sandbox.alipay_keys import provision_merchant
from services.wechat.settings import settings_for

WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI"
ALIPAY_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 AlipayClient/10.5.36 Language/zh-Hans"
CODE_IN_SMS = re.compile(r"验证码是 ([0-9]{6})")


def provision(db, merchant, registration_points=0, **settings):
    """Give a merchant a sandbox official account and Alipay app, and member-page settings."""
    wechat_sandbox.provision_account(db.session, merchant)
    provision_merchant(db.session, merchant)
    row = settings_for(db.session, merchant.id)
    if registration_points:
        db.session.add(gift_rules.points_rule(merchant.id, "registration", "开卡礼", registration_points))
    for key, value in settings.items():
        setattr(row, key, value)
    db.session.commit()
    return merchant


@pytest.fixture()
def shop_owner(make, db, shop):
    """The owner of `shop`, for setting up what the member pages sell."""
    person = make.staff(shop, role="owner")
    db.session.commit()
    return person


@pytest.fixture()
def started(monkeypatch):
    """The channel helpers build the real checkout; here it only records which order it was asked to pay."""
    calls = []

    def start(merchant, order):
        calls.append(order.id)
        return Response(f"pay {order.out_trade_no}", status=200)

    monkeypatch.setattr(pay_start, "start", start)
    return calls


@pytest.fixture()
def shop(make, db):
    """A merchant with levels, a sandbox official account and Alipay app, and a 100-point registration gift."""
    return provision(db, make.merchant(name="测试咖啡"), registration_points=100)


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wechat_user(db, merchant, nickname="微信测试用户"):
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, nickname)
    db.session.commit()
    return person


def alipay_user(db, merchant, nickname="支付宝测试用户"):
    person = wechat_sandbox.create_alipay_user(db.session, merchant.alipay_app_id, nickname)
    db.session.commit()
    return person


def start_wechat_login(client, merchant, person):
    """Open the member link inside "WeChat": returns the sandbox's redirect back to the app (with code, state)."""
    client.set_cookie("sandbox_wechat_user", str(person.id))
    opened = client.get(f"/h5/{merchant.slug}/", headers={"User-Agent": WECHAT_UA})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    authorize = client.get(path_of(opened.headers["Location"]), headers={"User-Agent": WECHAT_UA})
    assert authorize.status_code == 302, authorize.get_data(as_text=True)
    return authorize.headers["Location"]


def wechat_login(client, merchant, person):
    back = start_wechat_login(client, merchant, person)
    return client.get(path_of(back), headers={"User-Agent": WECHAT_UA})


def start_alipay_login(client, merchant, person):
    client.set_cookie("sandbox_alipay_user", person.user_key)
    opened = client.get(f"/h5/{merchant.slug}/", headers={"User-Agent": ALIPAY_UA})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    authorize = client.get(path_of(opened.headers["Location"]), headers={"User-Agent": ALIPAY_UA})
    assert authorize.status_code == 302, authorize.get_data(as_text=True)
    return authorize.headers["Location"]


def alipay_login(client, merchant, person):
    back = start_alipay_login(client, merchant, person)
    return client.get(path_of(back), headers={"User-Agent": ALIPAY_UA})


def sign_in(client, merchant, channel, user_key, app_id=None):
    """Put a channel login straight into the session (for tests about what comes after login)."""
    if app_id is None:
        app_id = merchant.wechat_app_id if channel == "wechat" else ""
    with client.session_transaction() as session:
        session["h5_login"] = {"m": merchant.id, "c": channel, "a": app_id, "u": user_key, "n": None}


def latest_sms_code(db, mobile):
    db.session.expire_all()
    row = db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms", SandboxOutbox.recipient == mobile)
                             .order_by(SandboxOutbox.id.desc()).limit(1)).first()
    assert row is not None, f"no SMS to {mobile}"
    return CODE_IN_SMS.search(row.payload["text"]).group(1)


def claim_card(client, db, merchant, mobile, ua=WECHAT_UA, **fields):
    """Ask for a code, read it from the sandbox outbox, claim the card. Returns the final response."""
    sent = client.post(f"/h5/{merchant.slug}/claim", data={"action": "send_code", "mobile": mobile},
                       headers={"User-Agent": ua})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    data = {"action": "claim", "mobile": mobile, "code": latest_sms_code(db, mobile), "gender": "unknown", **fields}
    return client.post(f"/h5/{merchant.slug}/claim", data=data, headers={"User-Agent": ua})


def sandbox_user(db, user_id):
    return db.session.get(SandboxUser, user_id)
