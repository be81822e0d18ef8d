"""The staff page at 375 x 667 inside "WeChat", as the demo cashier: verification, a scanned coupon before it is
confirmed, the till and its quote, receipts and records. No sideways scroll, tap targets of 32 px or more, no raw
JSON, no English. Screenshots: test-artifacts/visual/staff-<page>.png."""
import re

import pytest
from sqlalchemy import select

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser

pytestmark = pytest.mark.e2e

STAFF_PAGES = [
    ("verify", "/staff/"),
    ("checkout", "/staff/checkout"),
    ("checkouts-today", "/staff/checkouts"),
    ("receipt", "/staff/checkouts/{checkout_id}"),
    ("records", "/staff/records"),
    ("members", "/staff/members"),
    ("counter-topup-find", "/staff/topup"),
    ("counter-topup", "/staff/members/{member_id}/topup"),
    ("counter-topup-receipt", "/staff/topups/{topup_order_id}"),
    ("counter-topups-today", "/staff/topups"),
    ("card-issue", "/staff/members/{member_id}/card"),
    ("member-points", "/staff/members/{member_id}/points"),
    ("member-detail", "/staff/members/{member_id}/detail"),
    ("member-mall", "/staff/members/{member_id}/mall"),
    ("assisted-join", "/staff/members/join"),
    ("me", "/staff/me"),
    ("join-code", "/staff/join-code"),
    ("recruitment", "/staff/recruitment"),
]


@pytest.fixture(scope="module")
def cashier(chromium, shop):
    page = visual.staff_page(chromium, shop)
    yield page
    page.context.close()


def test_staff_login_looks_right_on_a_phone(chromium, shop):
    page = visual.new_page(chromium, visual.PHONE)
    try:
        visual.check_page(page, f"{shop.base}/staff/login", "staff-login", tap_targets=True)
    finally:
        page.context.close()


def test_store_choice_looks_right_on_a_phone(chromium, shop):
    """The owner may act in every store, so the staff page asks which one first."""
    page = visual.staff_page(chromium, shop, username="owner")
    try:
        visual.check_page(page, f"{shop.base}/staff/store", "staff-store", tap_targets=True)
    finally:
        page.context.close()


@pytest.mark.parametrize("name,path", STAFF_PAGES, ids=[name for name, _path in STAFF_PAGES])
def test_staff_page_looks_right_on_a_phone(cashier, shop, name, path):
    visual.check_page(cashier, shop.base + path.format(**vars(shop)), f"staff-{name}", tap_targets=True)


def test_scanned_coupon_looks_right_before_it_is_confirmed(cashier, shop, app):
    from extensions import db
    from models import CouponCode

    with app.app_context():
        code = db.session.scalars(select(CouponCode.code).where(CouponCode.id == shop.coupon_code_id)).one()

    def look_up(page):
        page.goto(f"{shop.base}/staff/")
        page.fill("input[name=code]", code)
        page.locator("input[name=code]").press("Enter")
        page.wait_for_url(f"{shop.base}/staff/lookup")

    visual.check_page(cashier, None, "staff-coupon-lookup", tap_targets=True, ready=look_up)


def test_till_quote_looks_right_on_a_phone(cashier, shop):
    def quote(page):
        page.goto(f"{shop.base}/staff/checkout")
        page.fill("input[name=amount]", "120")
        page.fill("input[name=code]", "13800138001")
        page.click("#quote-member")
        page.wait_for_selector("#quote-steps")

    visual.check_page(cashier, None, "staff-checkout-quote", tap_targets=True, ready=quote)


def test_counter_topup_confirm_looks_right_on_a_phone(cashier, shop):
    """门店充值's confirm step: what the tier gives, the balance after, the pay bar."""
    def confirm(page):
        page.goto(f"{shop.base}/staff/members/{shop.member_id}/topup")
        page.click("#topup-next")
        page.wait_for_selector("#topup-summary")

    visual.check_page(cashier, None, "staff-counter-topup-confirm", tap_targets=True, ready=confirm)


def test_guide_members_look_right_on_a_phone(chromium, shop):
    """我的会员: the demo guide's own members, with the search."""
    page = visual.staff_page(chromium, shop, username="guide")
    try:
        visual.check_page(page, f"{shop.base}/staff/members/mine", "staff-guide-members", tap_targets=True)
    finally:
        page.context.close()


def test_assisted_join_done_looks_right_on_a_phone(cashier, shop, app):
    """帮顾客办理 to the end: the code sent, read out, the card opened, the code to follow next."""
    from extensions import db
    from models import SandboxOutbox

    mobile = "13766660001"

    def join(page):
        page.goto(f"{shop.base}/staff/members/join")
        page.fill("input[name=mobile]", mobile)
        page.click("#send-code")
        page.wait_for_selector(".h5-flash_success")
        with app.app_context():
            text = db.session.scalars(select(SandboxOutbox.payload).where(SandboxOutbox.recipient == mobile)
                                      .order_by(SandboxOutbox.id.desc())).first()["text"]
        page.fill("input[name=code]", re.search(r"验证码是 ([0-9]{6})", text).group(1))
        page.fill("input[name=name]", "李女士")
        page.click("#assisted-submit")
        page.wait_for_url(f"{shop.base}/staff/members/join/done")

    visual.check_page(cashier, None, "staff-assisted-join-done", tap_targets=True, ready=join)
