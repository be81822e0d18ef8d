"""In real Chromium on a phone: a cashier picks 支付宝, types the customer's payment code (one that asks for a
password), the page waits for the password by itself and lands on the receipt with Alipay's trade number."""
import pytest

from sandbox import paycodes, wechat_state as sbx
from sandbox.alipay_keys import provision_merchant
from tests.e2e.conftest import sign_in_to_staff_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def quick(app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_PASSWORD_SECONDS", 1)
    monkeypatch.setitem(app.config, "TILL_POLL_SECONDS", 0.5)


@pytest.fixture()
def till(make, db):
    merchant = make.merchant(slug="codecafe", name="付款码咖啡")
    sbx.provision_account(db.session, merchant)
    provision_merchant(db.session, merchant)
    east = make.store(merchant, "东门店")
    make.staff(merchant, role="cashier", username="east", stores_=[east])
    db.session.commit()
    return dict(slug=merchant.slug, username="east")


def test_does_the_page_wait_for_the_customers_password_then_show_the_receipt(phone, live_server, till):
    sign_in_to_staff_page(phone, live_server, till["slug"], till["username"], PASSWORD)
    phone.goto(f"{live_server}/staff/checkout")
    phone.fill("input[name=amount]", "36")
    phone.click("#quote-walk-in")
    phone.wait_for_selector("#quote-steps")
    phone.click("label[for=tender-alipay]")
    phone.wait_for_selector("input[name=auth_code]")
    phone.fill("input[name=auth_code]", paycodes.new_code("alipay", "password"))
    phone.click("#confirm-pay")
    phone.wait_for_selector("#checkout-wait")
    assert "等待顾客输入密码…" in phone.text_content("#checkout-wait")
    phone.wait_for_url(f"{live_server}/staff/checkouts/*")
    assert "实付 ¥36.00" in phone.text_content("#receipt-head")
    assert "支付宝交易号" in phone.text_content("#receipt-trade-no")
