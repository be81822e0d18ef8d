"""The page scripts moved out of the templates for the Content-Security-Policy (static/js/) still do what the
inline ones did, in real Chromium under the policy (tests/e2e/conftest.py fails a test on any violation): the
back office's confirmations on a form and on a button, copying a new API key, the ECharts chart, the error page's
返回, a gift card's running total on the member's buy page and the member code that renews itself."""
import re

import pytest

from models import Level, PointsMultiplierDay
from sandbox import wechat_state as wechat_sandbox
from services.cards import gift_templates
from services.members import members
from services.wallet import journal as wallet
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


def sign_in_owner(page, base, slug, username):
    page.goto(f"{base}/backoffice/login")
    page.fill("input[name=merchant]", slug)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/backoffice/")


def answer_dialogs(page, accept):
    """Answers the next confirm() with `accept`; returns the list its messages are appended to."""
    seen = []

    def answer(dialog):
        seen.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    return seen


def test_do_the_back_office_confirmations_copy_chart_and_back_link_work(desktop, live_server, db, make):
    merchant = make.merchant(slug="cspcafe", name="策略咖啡")
    owner = make.staff(merchant, role="owner", username="boss")
    member = members.create_member(db.session, merchant.id, mobile="13600001111", name="储值人")
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, key="e2e-csp-topup")
    db.session.add(PointsMultiplierDay(merchant_id=merchant.id, label="周三会员日", weekday=2, multiplier_tenths=20))
    db.session.commit()
    page = desktop
    sign_in_owner(page, live_server, "cspcafe", "boss")

    assert "script-src 'self';" in page.goto(f"{live_server}/backoffice/api-keys/new").headers[
        "content-security-policy"]
    page.fill("input[name=name]", "前台收银机")
    page.click("main form button[type=submit]")
    page.locator("#copy-api-key").click()
    page.wait_for_function("() => document.getElementById('copy-api-key').textContent.trim() === '已复制'")

    # A confirmation on the form (吊销): cancelled, nothing is sent; accepted, the key is revoked.
    page.goto(f"{live_server}/backoffice/api-keys")
    asked = answer_dialogs(page, accept=False)
    page.click("tr[data-key-id] form button[type=submit]")
    page.wait_for_timeout(300)
    assert asked == ["吊销后使用此密钥的收银系统将立即无法调用接口，且不能恢复。确定吊销？"]
    assert page.locator("tr[data-key-id] .bo-badge").text_content() == "启用"
    answer_dialogs(page, accept=True)
    with page.expect_navigation():
        page.click("tr[data-key-id] form button[type=submit]")
    assert page.locator("tr[data-key-id] .bo-badge").text_content() == "已吊销"

    # A confirmation on the button (删除 a double-points day).
    page.goto(f"{live_server}/backoffice/checkout-settings")
    asked = answer_dialogs(page, accept=False)
    page.click("#multiplier-days tr[data-day-id] button[type=submit]")
    page.wait_for_timeout(300)
    assert asked == ["确定删除这条多倍积分日？"] and page.locator("tr[data-day-id]").count() == 1
    answer_dialogs(page, accept=True)
    with page.expect_navigation():
        page.click("#multiplier-days tr[data-day-id] button[type=submit]")
    assert page.locator("tr[data-day-id]").count() == 0

    page.goto(f"{live_server}/backoffice/reports/prepaid")
    page.wait_for_selector("#prepaid-chart svg")  # drawn by ECharts

    page.goto(f"{live_server}/backoffice/no-such-page")
    page.click("a[data-history-back]")
    page.wait_for_url(f"{live_server}/backoffice/reports/prepaid")


def test_do_the_gift_card_total_and_the_member_code_update_themselves(phone, live_server, db, make):
    merchant = provision(db, make.merchant(slug="cspgifts", name="礼品咖啡"))
    owner = make.staff(merchant, role="owner")
    person = wechat_sandbox.create_wechat_user(db.session, merchant.wechat_app_id, "买卡人")
    member = members.create_member(db.session, merchant.id, mobile="13600002222", name="买卡人")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    member.level_id = db.session.query(Level).filter_by(merchant_id=merchant.id, name="银卡").one().id
    template = gift_templates.save_template(
        db.session, owner, None, title="新春礼品卡", face_values=[10000, 50000], activation="auto",
        themes=[{"label": "春节", "color": "#C0392B"}, {"label": "生日", "color": "#2E86C1"}])
    db.session.commit()
    host = live_server.split("//", 1)[1].split(":")[0]
    phone.context.add_cookies([{"name": "sandbox_client", "value": "wechat", "domain": host, "path": "/"},
                               {"name": "sandbox_wechat_user", "value": str(person.id), "domain": host, "path": "/"}])
    buy_page = f"{live_server}/h5/cspgifts/gift-cards/shop/{template.id}"
    phone.goto(buy_page)  # silent OAuth through the sandbox first
    phone.wait_for_url(re.compile(r"/h5/cspgifts/"))
    assert "script-src 'self';" in phone.goto(buy_page).headers["content-security-policy"]  # no inline code runs

    assert phone.locator("#total-amount").text_content() == "¥100.00"
    phone.select_option(".h5-shop-line[data-face-value='10000'] select", "2")
    phone.select_option(".h5-shop-line[data-face-value='50000'] select", "1")
    assert phone.locator("#total-amount").text_content() == "¥700.00"
    assert phone.locator("#total-count").text_content() == "共 3 张"
    phone.click("label.h5-shop-theme:nth-child(2)")
    assert phone.evaluate("getComputedStyle(document.getElementById('gift-face')).backgroundColor") == \
        "rgb(46, 134, 193)"

    # The member code renews itself every 30 seconds (static/js/refreshing_qr.js), on the clock faked here;
    # When renewing fails for longer than a code is valid, the code is greyed out.
    phone.clock.install()
    phone.goto(f"{live_server}/h5/cspgifts/member")
    with phone.expect_response(lambda response: response.url.endswith("/member/qr.json")) as renewed:
        phone.clock.run_for(31000)
    assert renewed.value.ok and phone.get_attribute("#member-qr", "class") == "h5-qr"
    phone.route("**/member/qr.json", lambda route: route.fulfill(status=503, body="{}"))
    phone.clock.run_for(15 * 60 * 1000)
    phone.wait_for_selector("#member-qr.h5-qr_stale")
