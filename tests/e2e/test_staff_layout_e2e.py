"""In real Chromium on a 375 x 667 phone inside WeChat, where a cashier's thumb is: big bottom tabs (核销, 收银, 会员,
我的) with the store on top, the till's 扫会员码 before its fields and buttons, 确认收款 on the first screen of a
long quote, and the 会员 tab finding a member by mobile."""
import pytest
from sqlalchemy import select

from models import Level
from tests.e2e.conftest import sign_in_to_staff_page
from tests.e2e.test_backoffice_e2e import ARTIFACTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

SCREEN_HEIGHT = 667
THUMB = 44  # px: the smallest comfortable tap target


@pytest.fixture()
def till(make, db):
    merchant = make.merchant(slug="tabcafe", name="大按钮咖啡")
    east = make.store(merchant, "东门店")
    make.staff(merchant, role="cashier", username="east", stores_=[east])
    member = make.member(merchant, mobile="13677770000", name="常客")
    member.level_id = db.session.scalars(select(Level).where(Level.merchant_id == merchant.id,
                                                             Level.name == "银卡")).one().id
    make.wallet(merchant, member, principal=50000)
    db.session.commit()
    return dict(slug=merchant.slug, username="east", mobile="13677770000")


def keep(phone, name):
    """The first screen as the cashier sees it, kept with the other screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"staff-layout-{name}.png"))


def sign_in(phone, base, till):
    sign_in_to_staff_page(phone, base, till["slug"], till["username"], PASSWORD)


def test_does_the_staff_page_show_big_tabs_and_the_store(phone, live_server, till):
    sign_in(phone, live_server, till)
    tabs = phone.locator("#staff-tabs a")
    assert [t.strip() for t in tabs.all_inner_texts()] == ["核销", "收银", "会员", "我的"]
    for i in range(tabs.count()):
        box = tabs.nth(i).bounding_box()
        assert box["width"] >= THUMB and box["height"] >= THUMB, box
        assert box["y"] + box["height"] <= SCREEN_HEIGHT  # on the first screen, where the thumb is
    assert phone.locator("#tab-verify").get_attribute("aria-current") == "page"
    assert phone.text_content("#staff-store").strip() == "东门店"
    switch = phone.locator("#switch-store").bounding_box()
    assert switch["height"] >= THUMB
    phone.click("#tab-me")
    phone.wait_for_url(f"{live_server}/staff/me")
    keep(phone, "me")
    for link in ("#records-link", "#checkouts-today-link", "#choose-store-link", "#logout"):
        assert phone.locator(link).bounding_box()["height"] >= THUMB, link
    phone.click("#records-link")
    phone.wait_for_url(f"{live_server}/staff/records")
    assert "去核销" in phone.text_content("#no-records")  # an empty list says what to do next
    assert phone.locator("#tab-me").get_attribute("aria-current") == "page"


def test_is_scan_the_first_thing_on_the_till(phone, live_server, till):
    sign_in(phone, live_server, till)
    phone.click("#tab-till")
    phone.wait_for_url(f"{live_server}/staff/checkout")
    phone.wait_for_selector("#scan-button", state="visible")
    keep(phone, "till")
    scan = phone.locator("#scan-button").bounding_box()
    assert scan["height"] >= THUMB
    for below in ("input[name=code]", "input[name=amount]", "#quote-member", "#quote-walk-in"):
        assert scan["y"] + scan["height"] <= phone.locator(below).bounding_box()["y"], below


def test_is_confirm_on_the_first_screen_of_a_long_quote(phone, live_server, till):
    sign_in(phone, live_server, till)
    phone.goto(f"{live_server}/staff/checkout")
    phone.fill("input[name=amount]", "120")
    phone.fill("input[name=code]", till["mobile"])
    phone.click("#quote-member")
    phone.wait_for_selector("#quote-steps")
    assert phone.evaluate("document.documentElement.scrollHeight") > SCREEN_HEIGHT  # the quote is long
    assert phone.evaluate("window.scrollY") == 0
    keep(phone, "quote")
    confirm = phone.locator("#confirm-pay").bounding_box()
    assert confirm["y"] >= 0 and confirm["y"] + confirm["height"] <= SCREEN_HEIGHT
    assert confirm["height"] >= THUMB
    assert phone.text_content("#staff-paybar .h5-paybar__amount").strip() == phone.text_content("#quote-pay").strip()
    phone.click("#confirm-pay")
    phone.wait_for_url(f"{live_server}/staff/checkouts/*")
    assert "实付" in phone.text_content("#receipt-head")


def test_can_the_member_tab_find_a_member_by_mobile(phone, live_server, till):
    sign_in(phone, live_server, till)
    phone.click("#tab-member")
    phone.wait_for_url(f"{live_server}/staff/members")
    assert phone.locator("#join-qr svg").is_visible()
    keep(phone, "members")
    phone.fill("input[name=code]", till["mobile"])
    phone.click("#find-member")
    phone.wait_for_selector("#member-head")
    assert "常客" in phone.text_content("#member-head")
    keep(phone, "member-found")
    assert phone.locator("#tab-member").get_attribute("aria-current") == "page"


def test_with_a_payment_code_tender_is_the_charge_button_on_the_first_screen(phone, live_server, make, db):
    from sandbox import wechat_state as sbx
    from sandbox.alipay_keys import provision_merchant

    merchant = make.merchant(slug="codetabs", name="付款码咖啡")
    sbx.provision_account(db.session, merchant)
    provision_merchant(db.session, merchant)
    make.staff(merchant, role="cashier", username="east", stores_=[make.store(merchant, "东门店")])
    db.session.commit()
    sign_in(phone, live_server, dict(slug="codetabs", username="east"))
    phone.goto(f"{live_server}/staff/checkout")
    phone.fill("input[name=amount]", "36")
    phone.click("#quote-walk-in")
    phone.wait_for_selector("#quote-steps")
    phone.click("label[for=tender-alipay]")
    phone.wait_for_selector("input[name=auth_code]")
    keep(phone, "quote-paycode")
    charge = phone.locator("#confirm-pay").bounding_box()
    assert charge["y"] + charge["height"] <= SCREEN_HEIGHT and charge["height"] >= THUMB
    phone.click("#confirm-pay")  # no code typed yet: the browser points at the box instead of sending
    assert phone.evaluate("document.activeElement.name") == "auth_code"
    assert phone.url.endswith("/staff/checkout/quote")
