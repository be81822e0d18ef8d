"""The main back-office pages as the demo owner, on a 1366 x 768 laptop and on a 375 x 667 phone (the back office
opens from the official-account menu too): no sideways scroll, no raw JSON, no English. Tap sizes are not checked
here (a mouse is the back office's main pointer). Screenshots: test-artifacts/visual/backoffice-<page>-<viewport>.png."""
import pytest

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser

pytestmark = pytest.mark.e2e

BACKOFFICE_PAGES = [
    ("dashboard", "/backoffice/"),
    ("members", "/backoffice/members"),
    ("guides", "/backoffice/guides"),
    ("fans", "/backoffice/fans"),
    ("member", "/backoffice/members/{member_id}"),
    ("member-edit", "/backoffice/members/{member_id}/edit"),
    ("member-new", "/backoffice/members/new"),
    ("member-invitees", "/backoffice/members/{member_id}/invitees"),
    ("recruit-settings", "/backoffice/recruitment/settings"),
    ("levels", "/backoffice/levels"),
    ("recruitment-codes", "/backoffice/recruitment"),
    ("recruitment-channels", "/backoffice/recruitment/channels?owner=store:{store_id}"),
    ("recruitment-sms", "/backoffice/recruitment/sms"),
    ("recruitment-poster", "/backoffice/recruitment/poster?owner=store:{store_id}"),
    ("coupons", "/backoffice/coupons"),
    ("coupon-new", "/backoffice/coupons/new"),
    ("coupon-edit", "/backoffice/coupons/{paid_coupon_id}/edit"),  # with its 支付宝商家券 section
    ("coupon-issue", "/backoffice/coupons/issue"),
    ("coupon-bulk", "/backoffice/coupons/bulk"),
    ("coupon-bulk-new", "/backoffice/coupons/bulk/new"),
    ("cards", "/backoffice/cards"),
    ("gift-cards", "/backoffice/gift-cards"),
    ("benefit-cards", "/backoffice/benefit-cards"),
    ("card-stock", "/backoffice/card-stock"),
    ("card-stock-new", "/backoffice/card-stock/new"),
    ("card-stock-batch", "/backoffice/card-stock/{card_batch_id}"),
    ("points-mall", "/backoffice/points-mall"),
    ("points-mall-new", "/backoffice/points-mall/new"),
    ("points-mall-edit", "/backoffice/points-mall/{points_gift_id}/edit"),
    ("points-mall-exchanges", "/backoffice/points-mall/exchanges"),
    ("wechat-card", "/backoffice/wechat-card"),
    ("points-records", "/backoffice/points/records"),
    ("membership", "/backoffice/membership"),
    ("membership-new", "/backoffice/membership/new"),
    ("membership-holders", "/backoffice/membership/holders?state=all"),
    ("stored-value", "/backoffice/stored-value"),
    ("topup-rules", "/backoffice/stored-value/rules"),
    ("balance-discounts", "/backoffice/balance-discounts"),
    ("checkout-settings", "/backoffice/checkout-settings"),
    ("reward-rules", "/backoffice/reward-rules"),
    ("campaigns", "/backoffice/campaigns"),
    ("campaign", "/backoffice/campaigns/{campaign_id}"),
    ("campaign-new", "/backoffice/campaigns/new?kind=birthday"),
    ("audiences", "/backoffice/audiences"),
    ("audience-build", "/backoffice/audiences/build"),
    ("sends", "/backoffice/sends"),
    ("send-new", "/backoffice/sends/new"),
    ("send-settings", "/backoffice/sends/settings"),
    ("alipay-life", "/backoffice/alipay-life"),
    ("orders", "/backoffice/orders"),
    ("checkouts", "/backoffice/checkouts"),
    ("checkout", "/backoffice/checkouts/{checkout_id}"),
    ("verifications", "/backoffice/verifications"),
    ("prepaid-report", "/backoffice/reports/prepaid"),
    ("reports", "/backoffice/reports"),
    ("report-sales", "/backoffice/reports/sales"),
    ("report-members", "/backoffice/reports/members"),
    ("report-stored-value", "/backoffice/reports/stored-value"),
    ("report-points", "/backoffice/reports/points"),
    ("report-coupons", "/backoffice/reports/coupons"),
    ("report-cards", "/backoffice/reports/cards"),
    ("report-timed-holders", "/backoffice/reports/cards/timed-holders"),
    ("report-gift-buyers", "/backoffice/reports/cards/gift-buyers"),
    ("staff-performance", "/backoffice/reports/staff-performance"),
    ("commission", "/backoffice/commission"),
    ("commission-rules", "/backoffice/commission/rules"),
    ("channels", "/backoffice/reports/channels"),
    ("channels-staff", "/backoffice/reports/channels/staff"),
    ("channel-members", "/backoffice/reports/channels/natural"),
    ("stores", "/backoffice/stores"),
    ("staff", "/backoffice/staff"),
    ("settings", "/backoffice/settings"),
    ("wechat", "/backoffice/wechat"),
    ("wechat-menu", "/backoffice/wechat/menu"),
    ("audit", "/backoffice/audit"),
    ("api-keys", "/backoffice/api-keys"),
]
PAGE_IDS = [name for name, _path in BACKOFFICE_PAGES]


@pytest.fixture(scope="module")
def owner_on_desktop(chromium, shop):
    page = visual.backoffice_page(chromium, shop, visual.DESKTOP)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def owner_on_phone(chromium, shop):
    page = visual.backoffice_page(chromium, shop, visual.PHONE)
    yield page
    page.context.close()


def test_login_page_looks_right(chromium, shop):
    for viewport, options in (("desktop", visual.DESKTOP), ("phone", visual.PHONE)):
        page = visual.new_page(chromium, options)
        try:
            visual.check_page(page, f"{shop.base}/backoffice/login", f"backoffice-login-{viewport}", tap_targets=False)
        finally:
            page.context.close()


@pytest.mark.parametrize("name,path", BACKOFFICE_PAGES, ids=PAGE_IDS)
def test_backoffice_page_looks_right_on_a_laptop(owner_on_desktop, shop, name, path):
    visual.check_page(owner_on_desktop, shop.base + path.format(**vars(shop)), f"backoffice-{name}-desktop",
                      tap_targets=False)


@pytest.mark.parametrize("name,path", BACKOFFICE_PAGES, ids=PAGE_IDS)
def test_backoffice_page_looks_right_on_a_phone(owner_on_phone, shop, name, path):
    visual.check_page(owner_on_phone, shop.base + path.format(**vars(shop)), f"backoffice-{name}-phone",
                      tap_targets=False)


def test_guide_move_page_looks_right(owner_on_desktop, owner_on_phone, shop, app):
    """导购分配 with the demo guide chosen: the move form over the guide's members, on both screens."""
    from sqlalchemy import select

    from extensions import db
    from models import Staff

    with app.app_context():
        guide_id = db.session.scalars(select(Staff.id).where(Staff.merchant_id == shop.merchant_id,
                                                             Staff.username == "guide")).one()
    for page, viewport in ((owner_on_desktop, "desktop"), (owner_on_phone, "phone")):
        visual.check_page(page, f"{shop.base}/backoffice/guides?from={guide_id}", f"backoffice-guides-move-{viewport}",
                          tap_targets=False)
