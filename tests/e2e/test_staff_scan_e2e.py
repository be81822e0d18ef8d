"""In real Chromium: outside WeChat the staff page offers camera scanning (html5-qrcode, loaded on demand)
next to manual entry; inside WeChat it loads the JS-SDK and fetches a signed wx.config. No real camera or
WeChat client is needed: the tests check the page wires the scanner up."""
import pytest

from sandbox import wechat_state as wechat_sandbox

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PLAIN_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


@pytest.fixture()
def cashier(make, db):
    merchant = make.merchant(slug="scancafe", name="扫码咖啡")
    wechat_sandbox.provision_account(db.session, merchant)
    store = make.store(merchant, "南京西路店")
    staff = make.staff(merchant, role="cashier", username="scanner", stores_=[store])
    db.session.commit()
    return {"slug": merchant.slug, "username": staff.username}


def sign_in(page, base, cashier):
    page.goto(f"{base}/staff/login")
    page.fill("input[name=merchant]", cashier["slug"])
    page.fill("input[name=username]", cashier["username"])
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def test_does_the_staff_page_outside_wechat_offer_the_camera_and_manual_entry(phone, live_server, cashier):
    browser = phone.context.browser
    context = browser.new_context(viewport={"width": 375, "height": 667}, user_agent=PLAIN_UA, is_mobile=True,
                                  has_touch=True, locale="zh-CN", permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server, cashier)

    button = page.locator("#scan-button")
    button.wait_for(state="visible")  # scan.js shows it once wired up
    assert button.text_content().strip() == "打开摄像头扫码"
    assert page.locator("#lookup-form input[name=code]").is_visible()
    assert page.evaluate("typeof window.Html5Qrcode") == "undefined"  # not loaded until asked for

    button.click()
    page.wait_for_function("() => typeof window.Html5Qrcode === 'function'")
    # Headless Chromium has no camera: either the preview opens or the page says to type the code instead.
    page.wait_for_function("() => ['请将二维码放入框内', '无法打开摄像头，请手动输入券码']"
                           ".includes(document.getElementById('scan-status').textContent.trim())")
    context.close()



def test_does_the_staff_page_inside_wechat_load_the_jssdk_with_a_signed_config(phone, live_server, cashier):
    with phone.expect_response(lambda response: "/staff/jssdk-config" in response.url) as answer:
        sign_in(phone, live_server, cashier)
    config = answer.value.json()
    assert answer.value.status == 200 and config["jsApiList"] == ["scanQRCode"] and len(config["signature"]) == 40
    assert phone.locator("#scan-button").text_content().strip() == "微信扫一扫"
    phone.wait_for_function("() => window.wx && typeof window.wx.scanQRCode === 'function'")
    assert phone.locator("#lookup-form input[name=code]").is_visible()
