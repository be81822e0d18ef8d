"""In a real Chromium (phone viewport, WeChat user agent): follow the account in the simulated phone,
open the member card link, verify the phone with the code from the SMS outbox, claim the card, and see
the member QR code and the registration points."""
import re

import pytest

from tests.e2e.test_backoffice_e2e import ARTIFACTS

from domain import roles
from services.members import fields as member_fields
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e
MOBILE = "13812345678"


@pytest.fixture()
def demo_like_shop(make, db):
    """A café like the demo merchant: levels, an industry field, sandbox WeChat and Alipay, a 100-point gift."""
    merchant = make.merchant(slug="democafe", name="演示咖啡")
    owner = make.staff(merchant, role=roles.OWNER)
    member_fields.save_field(db.session, owner, None, key="taste", label="口味偏好", field_type="select",
                             options_text="美式,拿铁,卡布奇诺,其他", required=True, position=1)
    member_fields.save_field(db.session, owner, None, key="company", label="公司", field_type="text", position=2)
    return provision(db, merchant, registration_points=100)


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_can_a_wechat_user_follow_open_the_card_link_verify_the_phone_and_claim_the_card(
        phone, live_server, demo_like_shop):
    page = phone
    page.goto(f"{live_server}/sandbox/phone?m={demo_like_shop.slug}")
    page.fill("#wechat-nickname", "小明")
    page.click("#create-wechat-user")
    page.click("#follow")
    page.get_by_role("link", name="点击领取会员卡").first.click()

    # Silent OAuth through the sandbox, then the claim page of a new member (the browser keeps WeChat's
    # #wechat_redirect fragment across the redirects, as it does in WeChat).
    page.wait_for_url(re.compile(rf"/h5/{demo_like_shop.slug}/claim(#.*)?$"))
    assert "领取演示咖啡会员卡" in page.text_content("h1")
    assert _no_horizontal_scroll(page)
    page.fill("#mobile", MOBILE)
    page.click("#send-code")
    page.wait_for_selector("text=验证码已发送")
    assert page.is_disabled("#send-code")  # the 60-second resend countdown

    outbox = page.context.new_page()
    outbox.goto(f"{live_server}/sandbox/sms?phone={MOBILE}")
    message = outbox.text_content(f'[data-phone="{MOBILE}"] .sms-text')
    code = re.search(r"验证码是 ([0-9]{6})", message).group(1)
    outbox.close()

    page.fill("#code", code)
    page.select_option("#f_taste", "拿铁")
    page.fill("#name", "小明")
    page.click("#claim-submit")

    page.wait_for_url(re.compile(rf"/h5/{demo_like_shop.slug}/member(#.*)?$"))
    assert page.is_visible("#member-qr svg")
    assert page.text_content("#points-balance").strip() == "100"
    assert "会员卡领取成功" in page.text_content("body")
    assert _no_horizontal_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "h5-member-centre.png"), full_page=True)
    refreshed = page.evaluate("""() => fetch(document.getElementById('member-qr').dataset.url,
        {headers: {Accept: 'application/json'}}).then(r => r.json())""")
    assert refreshed["svg"].startswith("<svg") and refreshed["expires_in"] == 60

    for sub in ("points", "balance", "level", "profile"):
        page.goto(f"{live_server}/h5/{demo_like_shop.slug}/member/{sub}")
        assert _no_horizontal_scroll(page), sub
    assert "开卡礼" in page.goto(f"{live_server}/h5/{demo_like_shop.slug}/member/points").text()
