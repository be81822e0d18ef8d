"""A headless Debian Chromium: a phone viewport with WeChat's user agent, or a laptop screen for the back office
(the live server is in tests/conftest.py)."""
import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def phone():
    """A Playwright page in Chromium sized like a phone (375x667) inside WeChat."""
    yield from _page(viewport={"width": 375, "height": 667}, user_agent=WECHAT_UA, device_scale_factor=2,
                     is_mobile=True, has_touch=True)


@pytest.fixture()
def desktop():
    """A Playwright page in Chromium on a 1366x768 laptop screen, the back office's most common desktop."""
    yield from _page(viewport={"width": 1366, "height": 768}, device_scale_factor=1)


def _page(**context_options):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", **context_options)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()
