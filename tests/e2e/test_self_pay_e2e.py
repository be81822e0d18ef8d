"""In real Chromium inside WeChat: a member opens the store's pay QR, types ¥100, picks the level discount over a
coupon, pays from the balance and reads the receipt; then pays ¥200 more through the sandbox's WeChat Pay."""
import re

import pytest

from models import Level
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.members import members
from services.wallet import journal as wallet
from sandbox import wechat_state as wechat_sandbox
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def one_delivery(app, monkeypatch):
    """One notification per payment: the compressed retry schedule would outlive the test's tables."""
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))


@pytest.fixture()
def shop(make, db):
    merchant = provision(db, make.merchant(slug="selfpaycafe", name="买单咖啡"))
    store = make.store(merchant, "东门店")
    owner = make.staff(merchant, role="owner")
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, "买单人")
    member = members.create_member(db.session, merchant.id, mobile="13688887777", name="买单人")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    member.level_id = db.session.query(Level).filter_by(merchant_id=merchant.id, name="银卡").one().id  # 95 折
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, key="e2e-selfpay-topup")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减3", amount_off=300,
                                              min_spend=10000, validity_mode="relative", valid_days=30)
    coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5", key="e2e-selfpay-coupon")
    db.session.commit()
    return dict(slug=merchant.slug, person_id=person.id, store_id=store.id)


def test_does_a_member_pay_by_the_store_qr_with_balance_then_wechat_pay(phone, live_server, shop):
    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([
        {"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
        {"name": "sandbox_wechat_user", "value": str(shop["person_id"]), "domain": host, "path": "/"},
    ])
    slug, pay_page = shop["slug"], f"{live_server}/h5/{shop['slug']}/pay/{shop['store_id']}"
    phone.goto(pay_page)  # silent OAuth through the sandbox, then back to the store's pay page
    phone.wait_for_url(re.compile(rf"/h5/{slug}/(pay/|member)"))
    phone.goto(pay_page)
    phone.fill("#amount", "100")
    phone.click("#self-pay-next")
    assert "¥95.00" in phone.text_content("#quote-pay")  # 银卡 95 折 beats 满100减3
    assert "满100减3" in phone.text_content("#choice-options")
    phone.screenshot(path="/tmp/self_pay_quote.png", full_page=True)
    phone.click("#pay-balance")
    phone.wait_for_url(re.compile(rf"/h5/{slug}/checkouts/\d+"))
    assert "实付 ¥95.00" in phone.text_content("#receipt-head")
    assert phone.text_content("#receipt-balance-after").strip() == "¥5.00"

    phone.goto(pay_page)
    phone.fill("#amount", "200")
    phone.click("#self-pay-next")
    phone.locator("#pay-channel").wait_for(state="visible")  # ¥5 left does not cover it: WeChat Pay is picked first
    phone.click("label[for=tender-balance]")  # the member asks for balance anyway: re-priced, and told the gap
    assert "还差 ¥185.00" in phone.text_content("#balance-short")
    phone.click("#use-channel")
    phone.wait_for_selector("#pay-channel")
    phone.click("#pay-channel")
    phone.click("#sandbox-cashier")  # outside real WeChat there is no WeixinJSBridge: the sandbox's cashier
    phone.click("#cashier-pay")
    assert phone.text_content("#cashier-result").strip() == "支付成功"
    phone.click("#cashier-return")
    phone.wait_for_selector("#order-state[data-state=fulfilled]")
    phone.click("#self-pay-receipt-link")
    assert "微信支付" in phone.text_content("#receipt")
    phone.goto(f"{live_server}/h5/{slug}/checkouts")
    assert len(phone.query_selector_all("#checkout-list a")) == 2
