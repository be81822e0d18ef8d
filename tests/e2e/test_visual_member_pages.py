"""Every member page at 375 x 667 inside "WeChat", as the demo member 张伟 (a coupon, a count card, a gift card, a
till payment and an unpaid order): no sideways scroll, tap targets of 32 px or more, no raw JSON, no English.
Screenshots: test-artifacts/visual/member-<page>.png."""
import pytest

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser

pytestmark = pytest.mark.e2e

# (name, path under /h5/<merchant>/ with {ids} from the seeded shop)
MEMBER_PAGES = [
    ("centre", "member"),
    ("me", "member/me"),
    ("points", "member/points"),
    ("balance", "member/balance"),
    ("level", "member/level"),
    ("profile", "member/profile"),
    ("invite", "member/invite"),
    ("points-to-balance", "member/points-to-balance"),
    ("points-mall", "member/mall"),
    ("points-mall-gift", "member/mall/gifts/{points_gift_id}"),
    ("points-mall-mine", "member/mall/exchanges"),
    ("points-mall-pickup", "member/mall/exchanges/{gift_exchange_id}"),
    ("coupons", "coupons/"),
    ("coupon-code", "coupons/code/{coupon_code_id}"),
    ("coupon-exchange", "coupons/{points_coupon_id}/exchange"),
    ("cards", "cards/"),
    ("count-card", "cards/{count_card_id}"),
    ("gift-cards", "gift-cards/"),
    ("gift-card", "gift-cards/{gift_card_id}"),
    ("gift-card-bind", "gift-cards/bind"),
    ("gift-cards-bought", "gift-cards/bought"),
    ("gift-card-shop", "gift-cards/shop"),
    ("gift-card-shop-template", "gift-cards/shop/{gift_template_id}"),
    ("benefit-cards", "benefit-cards/"),
    ("benefit-card", "benefit-cards/{benefit_template_id}"),
    ("my-benefit-cards", "benefit-cards/mine"),
    ("membership", "membership"),
    ("shop", "shop"),
    ("shop-card", "shop/card/{count_template_id}"),
    ("shop-coupon", "shop/coupon/{paid_coupon_id}"),
    ("topup", "topup"),
    ("orders", "orders"),
    ("order", "orders/{order_id}"),
    ("checkouts", "checkouts"),
    ("checkout", "checkouts/{checkout_id}"),
    ("self-pay", "pay/{store_id}"),
]


@pytest.fixture(scope="module")
def member(chromium, shop):
    page = visual.member_page(chromium, shop)
    yield page
    page.context.close()


@pytest.mark.parametrize("name,path", MEMBER_PAGES, ids=[name for name, _path in MEMBER_PAGES])
def test_member_page_looks_right_on_a_phone(member, shop, name, path):
    url = f"{shop.base}/h5/{shop.slug}/" + path.format(**vars(shop))
    visual.check_page(member, url, f"member-{name}", tap_targets=True)


def test_self_pay_quote_looks_right_on_a_phone(member, shop):
    """The member's own payment with the quote and the pay button (issue 21, item 2)."""
    def quote(page):
        page.goto(f"{shop.base}/h5/{shop.slug}/pay/{shop.store_id}")
        page.fill("input[name=amount]", "68")
        page.locator("input[name=amount]").press("Enter")

    visual.check_page(member, None, "member-self-pay-quote", tap_targets=True, ready=quote)


def test_claim_page_looks_right_for_a_newcomer(chromium, shop):
    """A WeChat user who is not a member yet opens the card link: the claim page."""
    page = visual.member_page(chromium, shop, user_id=shop.stranger_user_id)
    try:
        visual.check_page(page, f"{shop.base}/h5/{shop.slug}/claim", "member-claim", tap_targets=True)
    finally:
        page.context.close()
