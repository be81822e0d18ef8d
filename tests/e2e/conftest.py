"""A headless Debian Chromium: a phone viewport with WeChat's user agent, or a laptop screen for the back office
(the live server is in tests/conftest.py)."""
import contextlib
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
    with launched_chromium() as browser:
        context = browser.new_context(locale="zh-CN", **context_options)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()


@contextlib.contextmanager
def launched_chromium():
    """Debian's Chromium, recording the policy violations of every page it opens; the test fails on any."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        violations = _record_csp_violations(browser)
        yield browser
        browser.close()
        if violations:
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


# Every browser test runs under the policy of web/headers.py: a blocked script, style, image or form post fails it.
REPORT_VIOLATIONS = ("document.addEventListener('securitypolicyviolation', function (e) { console.error("
                     "'Content Security Policy violation: ' + e.effectiveDirective + ' blocked ' + e.blockedURI"
                     " + ' at ' + e.sourceFile + ':' + e.lineNumber); });")


def _record_csp_violations(browser):
    """Every context the browser opens (a test may open its own) reports its pages' violations into one list."""
    violations = []
    open_context = browser.new_context

    def recording_context(**options):
        context = open_context(**options)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", lambda message: violations.append(f"{message.page.url if message.page else ''}: "
                                                               f"{message.text}")
                   if "Content Security Policy" in message.text else None)
        return context

    browser.new_context = recording_context
    return violations


def sign_in_to_staff_page(phone, base, slug, username, password):
    """Through the staff page's login form, as a cashier does; returns on the verify page."""
    phone.goto(f"{base}/staff/login")
    phone.fill("input[name=merchant]", slug)
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", password)
    phone.click("form button[type=submit]")
    phone.wait_for_url(f"{base}/staff/")
