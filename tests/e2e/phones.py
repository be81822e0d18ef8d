"""Simulated phones for the browser journeys: a page in its own browser context (a phone inside WeChat or any
screen), and claiming the member card on one with the SMS code read from the sandbox outbox."""
import re

from tests.e2e.conftest import WECHAT_UA

PHONE = dict(viewport={"width": 375, "height": 667}, user_agent=WECHAT_UA, device_scale_factor=2, is_mobile=True,
             has_touch=True)


def new_screen(browser, **options):
    """A page in a fresh context (its own cookies: another person), in Chinese, waiting up to 15 s."""
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def wechat_phone(browser):
    """A 375x667 phone inside WeChat, with its own cookies."""
    return new_screen(browser, **PHONE)


def claim_with_sms_code(page, live_server, mobile, name):
    """On the claim page: ask for the code, read it from the sandbox outbox in another tab, claim the card."""
    page.fill("#mobile", mobile)
    page.click("#send-code")
    page.wait_for_selector("text=验证码已发送")
    outbox = page.context.new_page()
    outbox.goto(f"{live_server}/sandbox/sms?phone={mobile}")
    code = re.search(r"验证码是 ([0-9]{6})", outbox.text_content(f'[data-phone="{mobile}"] .sms-text')).group(1)
    outbox.close()
    page.fill("#code", code)
    page.fill("#name", name)
    page.click("#claim-submit")
