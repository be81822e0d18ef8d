"""The member pages' essentials on a 375 x 667 phone inside "WeChat", as the demo member (issue 21, items 1, 2, 8, 10):
the centre's icon grid shows what the member holds with counts and a bottom tabbar hides nothing; the self-pay pay
button is on the first screen of a long quote; 消费记录 is not empty while 余额明细 shows a spend; a card's expiry
reads the same in the list and on its page. Screenshots: test-artifacts/member-*.png."""
import re

import pytest
from sqlalchemy import func, select

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser
from tests.e2e.test_backoffice_e2e import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture()
def member(chromium, shop):
    page = visual.member_page(chromium, shop)
    yield page
    page.context.close()


def _usable_coupons(app, shop):
    from domain.clock import now_utc
    from extensions import db
    from models import CouponCode

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CouponCode).where(
            CouponCode.merchant_id == shop.merchant_id, CouponCode.member_id == shop.member_id,
            CouponCode.state == "available", CouponCode.ends_at > now_utc()))


def _gift_balance(app, shop):
    from extensions import db
    from models import Card

    with app.app_context():
        card = db.session.get(Card, shop.gift_card_id)
        return card.wallet.principal + card.wallet.bonus


def test_does_the_member_centre_show_an_icon_grid_with_counts_and_a_tabbar(app, member, shop):
    member.goto(f"{shop.base}/h5/{shop.slug}/member")
    grid = member.locator("#centre-grid")
    assert grid.is_visible()
    coupons = _usable_coupons(app, shop)
    assert coupons > 0  # the demo member holds a coupon, so a count of 0 would be a wrong count
    assert member.locator("#tile-coupons .h5-grid__count").inner_text() == f"{coupons} 张"
    assert member.locator("#tile-cards .h5-grid__count").inner_text() == "1 张"
    fen = _gift_balance(app, shop)
    assert member.locator("#tile-gift-cards .h5-grid__count").inner_text() == f"¥{fen // 100}.{fen % 100:02d}"
    # The rows that repeated the tiles above them are gone.
    assert member.get_by_text("积分明细").count() == 0 and member.get_by_text("等级与权益").count() == 0

    tabbar = member.locator("#h5-tabbar")
    labels = [t.strip() for t in tabbar.locator(".weui-tabbar__label").all_inner_texts()]
    assert labels[0] == "会员卡" and labels[1] == "卡券" and labels[2] in ("商城", "充值") and labels[3] == "我的"
    assert tabbar.locator("[aria-current=page]").inner_text().strip() == "会员卡"
    box = tabbar.bounding_box()
    assert abs(box["y"] + box["height"] - 667) <= 1  # fixed to the bottom of the screen
    # Scrolled to the end, the last row sits above the tabbar, not under it.
    member.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = member.locator("#centre-links .weui-cell").last.bounding_box()
    assert last["y"] + last["height"] <= tabbar.bounding_box()["y"] + 1
    member.screenshot(path=str(ARTIFACTS / "member-centre-grid.png"))

    member.locator("#h5-tabbar [data-tab=me]").click()
    member.wait_for_load_state("networkidle")
    assert member.url.endswith("/member/me")
    assert member.locator("#h5-tabbar [aria-current=page]").inner_text().strip() == "我的"
    assert member.locator("#orders-link").is_visible() and member.locator("#checkouts-link").is_visible()
    assert not visual.problems_on(member, tap_targets=True)
    member.screenshot(path=str(ARTIFACTS / "member-me.png"), full_page=True)


def test_is_the_self_pay_button_on_the_first_screen_of_a_long_quote(member, shop):
    member.goto(f"{shop.base}/h5/{shop.slug}/pay/{shop.store_id}")
    member.fill("input[name=amount]", "368")
    member.locator("input[name=amount]").press("Enter")
    member.wait_for_load_state("networkidle")
    button = member.locator("#self-pay-bar .weui-btn_primary")
    button.wait_for(state="visible")
    height = member.evaluate("document.documentElement.scrollHeight")
    assert height > 667 * 1.5, f"the quote is only {height}px tall: not the long quote this test is about"
    box = button.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 667 and box["height"] >= 44
    amount = member.locator("#self-pay-bar .h5-paybar__amount").inner_text()
    assert re.fullmatch(r"¥\d+\.\d\d", amount)
    # The end of the form scrolls clear of the bar.
    member.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    requote = member.locator("#requote").bounding_box()
    assert requote["y"] + requote["height"] <= member.locator("#self-pay-bar").bounding_box()["y"] + 1
    member.screenshot(path=str(ARTIFACTS / "member-self-pay-bar.png"))


def test_does_spending_shown_in_the_balance_also_show_in_the_spending_records(member, shop):
    member.goto(f"{shop.base}/h5/{shop.slug}/member/balance")
    spends = member.locator("#wallet-journal .h5-minus").count()
    assert spends > 0
    member.goto(f"{shop.base}/h5/{shop.slug}/checkouts")
    rows = member.locator("#checkout-list .weui-cell")
    assert member.locator("#checkout-list-empty").count() == 0
    assert rows.count() >= spends  # every balance spend is there, the till payment with its receipt
    assert member.locator("#checkout-list [data-kind=balance-spend]").count() >= 1
    assert member.locator(f"#checkout-list [data-checkout-id='{shop.checkout_id}']").count() == 1


def test_does_a_card_show_the_same_last_day_in_the_list_and_on_its_page(member, shop):
    member.goto(f"{shop.base}/h5/{shop.slug}/cards/")
    listed = member.locator(f"[data-card-id='{shop.count_card_id}'] .h5-muted").inner_text()
    found = re.search(r"有效期至 (\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)", listed)
    assert found, listed
    member.goto(f"{shop.base}/h5/{shop.slug}/cards/{shop.count_card_id}")
    assert found.group(1) in member.locator("#card-lines").inner_text()
    assert "00:00" not in found.group(1)  # an end at midnight is shown as the day before, the last valid day
    assert "每 30 秒" in member.locator(".h5-qr__tip").inner_text()


def test_does_the_birthday_on_the_profile_open_a_chinese_date_picker(member, shop):
    member.goto(f"{shop.base}/h5/{shop.slug}/member/profile")
    box = member.locator("input[name=birthday]")
    assert box.get_attribute("type") == "text" and box.get_attribute("placeholder") == "年-月-日"
    box.click()
    sheet = member.locator(".bo-date-picker .weui-picker")
    assert sheet.is_visible() and "年" in sheet.inner_text()
    member.locator(".bo-date-picker .weui-picker__group").nth(1).locator(".weui-picker__item", has_text="3月").click()
    member.wait_for_timeout(600)  # the wheel's smooth scroll settles
    member.locator(".bo-date-picker__ok").click()
    assert re.fullmatch(r"\d{4}-03-\d{2}", box.input_value())
