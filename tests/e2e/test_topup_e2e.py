"""In real Chromium inside WeChat: a member tops up ¥1000 in H5 through the sandbox's WeChat Pay, sees the
principal, the first part of the bonus and the tier's coupons; a month later the instalment job pays the next part."""
import re
from datetime import timedelta

import pytest

from domain.stored_value import add_months
from jobs.stored_value import pay_topup_instalments
from models import CouponCode, Order
from services.coupons import templates as coupon_templates
from services.members import members
from services.wallet import stored_value
from sandbox import wechat_state as wechat_sandbox
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def one_delivery(app, monkeypatch):
    """One notification per payment: the compressed retry schedule would outlive the test's tables."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))


@pytest.fixture()
def shop(make, db):
    merchant = provision(db, make.merchant(slug="topupcafe", name="储值咖啡"))
    owner = make.staff(merchant, role="owner")
    stored_value.enable(db.session, owner)
    voucher = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                             min_spend=10000, validity_mode="relative", valid_days=30)
    stored_value.save_rule(db.session, owner, None, pay_amount=100000, bonus=10000, instalment_total=90000,
                           instalment_months=9, points=0, growth=0, coupons=[{"template_id": voucher.id, "count": 2}],
                           active=True, sort=0, starts_on=None, ends_on=None)
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, "充值人")
    member = members.create_member(db.session, merchant.id, mobile="13688889999", name="充值人")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    db.session.commit()
    return dict(slug=merchant.slug, person_id=person.id, member_id=member.id)


def balance_text(phone, base, slug):
    phone.goto(f"{base}/h5/{slug}/member/balance")
    return phone.text_content("body")


def test_does_a_member_top_up_1000_and_get_the_bonus_coupons_and_next_months_instalment(phone, live_server, shop,
                                                                                          db, app):
    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([
        {"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
        {"name": "sandbox_wechat_user", "value": str(shop["person_id"]), "domain": host, "path": "/"},
    ])
    slug = shop["slug"]
    phone.goto(f"{live_server}/h5/{slug}/")  # silent OAuth through the sandbox, as inside WeChat
    phone.wait_for_url(re.compile(rf"/h5/{slug}/member"))
    phone.goto(f"{live_server}/h5/{slug}/topup")
    assert "充 1000 送 100，分 9 个月再返 900，赠 2 张满100减20" in phone.text_content("#topup-form")
    phone.click("#pay-button")
    phone.click("#sandbox-cashier")  # outside real WeChat there is no WeixinJSBridge: the sandbox's cashier
    assert phone.text_content("#cashier-amount") == "¥1000.00"
    phone.click("#cashier-pay")
    assert phone.text_content("#cashier-result").strip() == "支付成功"
    phone.click("#cashier-return")
    phone.wait_for_selector("#order-state[data-state=fulfilled]")

    page = balance_text(phone, live_server, slug)
    assert "¥1100.00" in page and "本金 ¥1000.00 · 赠送 ¥100.00" in page
    db.session.expire_all()
    held = db.session.query(CouponCode).filter_by(member_id=shop["member_id"], state="available").all()
    assert len(held) == 2
    phone.goto(f"{live_server}/h5/{slug}/coupons/code/{held[0].id}")
    assert "满100减20" in phone.text_content("body")

    order = db.session.query(Order).filter_by(member_id=shop["member_id"]).one()
    next_month = order.paid_at + (add_months(order.paid_at.date(), 1) - order.paid_at.date()) + timedelta(days=1)
    assert pay_topup_instalments(db.session, now=next_month - timedelta(days=2))["paid"] == 0
    assert pay_topup_instalments(db.session, now=next_month)["paid"] == 1
    assert "本金 ¥1000.00 · 赠送 ¥200.00" in balance_text(phone, live_server, slug)
