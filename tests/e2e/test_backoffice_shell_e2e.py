"""The back office's shell in a real Chromium: on a 1366x768 laptop the menu is a sidebar (a rail of groups and the
current group's screens) whose labels never break one character per line; on a 375x667 phone a top-bar button
opens a drawer with the groups, one unfolds, and a tap navigates. Screenshots go to SCREENSHOT_DIR (test-artifacts/
by default) for a person to look at."""
import os
from pathlib import Path

import pytest

from services.wallet import journal as wallet
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts")
GROUPS = ["概况", "会员", "卡券", "储值", "收银", "营销", "数据", "设置"]

# Every visible text of the shell, and how many lines its text takes: a label is one line.
LINES_OF_LABELS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => el.offsetParent !== null && el.textContent.trim())
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    return [el.textContent.trim(), tops.size, Math.round(el.getBoundingClientRect().width)];
  })"""
SHELL_LABELS = (".bo-rail__item span, .bo-nav__label, .bo-nav__item, .bo-crumbs span, .bo-topbar__brand, "
                ".bo-user__name, .bo-user .bo-link, .bo-title, .bo-table th")


def sign_in(page, live_server, slug, username):
    page.goto(f"{live_server}/backoffice/login")
    page.fill("input[name=merchant]", slug)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/backoffice/")


def assert_one_line(page):
    labels = page.evaluate(LINES_OF_LABELS, SHELL_LABELS)
    assert labels, "no labels found"
    broken = [(text, lines, width) for text, lines, width in labels if lines != 1]
    assert not broken, f"labels on more than one line at {page.viewport_size}: {broken}"


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(slug="shellcafe", name="壳层咖啡")
    make.staff(merchant, role="owner", username="boss")
    for n, (name, principal, bonus) in enumerate([("人民广场店", 50000, 5000), ("陆家嘴店", 120000, 20000),
                                                   (None, 30000, 0)]):
        store = make.store(merchant, name=name) if name else None
        member = make.member(merchant, mobile=f"1390000000{n}")
        purse = wallet.member_wallet(db.session, merchant.id, member.id)
        wallet.credit(db.session, merchant.id, purse.id, principal, bonus, key=f"shell:topup:{n}",
                      store_id=store.id if store else None, note="充值")
    db.session.commit()
    return merchant


def test_is_the_menu_a_sidebar_with_one_line_labels_on_a_laptop(live_server, desktop, shop):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(desktop, live_server, "shellcafe", "boss")
    rail = desktop.locator(".bo-rail__item")
    assert rail.all_inner_texts() == GROUPS
    assert desktop.locator(".bo-sidebar").is_visible() and not desktop.locator("#bo-nav-open").is_visible()
    assert_one_line(desktop)
    desktop.screenshot(path=str(SHOTS / "backoffice-desktop-dashboard.png"))

    for group in GROUPS:  # each group's first screen: the group and the screen marked, every label on one line
        desktop.locator(".bo-rail__item", has_text=group).click()
        desktop.wait_for_load_state()
        assert desktop.locator(".bo-rail__item.is-active").inner_text() == group
        panel = desktop.locator(".bo-nav__group.is-active")
        assert panel.is_visible() and panel.locator(".bo-nav__label").inner_text() == group
        assert desktop.locator(".bo-nav__item[aria-current=page]").count() == 1
        assert_one_line(desktop)
        assert_no_horizontal_scroll(desktop)

    desktop.locator(".bo-rail__item", has_text="会员").click()
    desktop.locator(".bo-nav__item", has_text="会员等级").click()
    desktop.wait_for_url(f"{live_server}/backoffice/levels")
    assert desktop.locator(".bo-nav__item[aria-current=page]").inner_text() == "会员等级"
    assert desktop.locator(".bo-crumbs").inner_text().split() == ["会员", "/", "会员等级"]
    desktop.screenshot(path=str(SHOTS / "backoffice-desktop-levels.png"))

    desktop.goto(f"{live_server}/backoffice/reports/prepaid")
    desktop.wait_for_selector("#prepaid-chart svg")
    chart = desktop.locator("#prepaid-chart")
    for text in ("会员本金", "会员赠送", "礼品卡", "人民广场店", "陆家嘴店", "线上/未指定门店"):
        assert text in chart.inner_text(), text
    assert_one_line(desktop)
    desktop.screenshot(path=str(SHOTS / "backoffice-desktop-prepaid-report.png"), full_page=True)


def test_does_the_phone_menu_open_as_a_drawer_of_groups_and_navigate(live_server, phone, shop):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(phone, live_server, "shellcafe", "boss")
    drawer = phone.locator("#bo-sidebar")
    assert not drawer.is_visible() and not phone.locator(".bo-rail").is_visible()
    assert_no_horizontal_scroll(phone)
    phone.screenshot(path=str(SHOTS / "backoffice-phone-dashboard.png"))

    phone.click("#bo-nav-open")
    phone.wait_for_function("() => document.getElementById('bo-sidebar').getBoundingClientRect().left >= 0")
    assert drawer.is_visible() and phone.locator("#bo-nav-open").get_attribute("aria-expanded") == "true"
    assert phone.locator(".bo-nav__label").all_inner_texts() == GROUPS
    box = drawer.bounding_box()
    assert box["x"] == 0 and box["width"] <= 375 and box["height"] >= 600  # fits the screen, not a 1,180 px list
    # The current group (概况) is unfolded; the others show only their heading until tapped.
    assert phone.locator(".bo-nav__item", has_text="概览").is_visible()
    assert not phone.locator(".bo-nav__item", has_text="会员等级").is_visible()
    assert_one_line(phone)
    phone.screenshot(path=str(SHOTS / "backoffice-phone-drawer.png"))

    members = phone.locator(".bo-nav__group[data-group=members] .bo-nav__heading")
    members.click()
    assert members.get_attribute("aria-expanded") == "true"
    phone.locator(".bo-nav__item", has_text="会员等级").click()
    phone.wait_for_url(f"{live_server}/backoffice/levels")
    assert not drawer.is_visible()
    assert_no_horizontal_scroll(phone)

    phone.click("#bo-nav-open")
    phone.wait_for_function("() => document.getElementById('bo-sidebar').getBoundingClientRect().left >= 0")
    assert phone.locator(".bo-nav__item[aria-current=page]").inner_text() == "会员等级"
    assert phone.locator(".bo-nav__group.is-active .bo-nav__label").inner_text() == "会员"
    assert not phone.get_by_role("link", name="优惠券", exact=True).is_visible()  # other groups stay folded
    phone.screenshot(path=str(SHOTS / "backoffice-phone-drawer-levels.png"))
    phone.keyboard.press("Escape")
    phone.wait_for_function("() => !document.body.classList.contains('bo-nav-open')")
    phone.wait_for_timeout(300)  # the drawer slides out
    assert not drawer.is_visible()
