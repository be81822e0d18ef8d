"""In real Chromium: a WeChat user joins on the member pages, adds the shop's member card to the simulated WeChat
card package from the member centre (activated at once with their points), is charged at the till by a cashier on
the staff page, and then sees the card's balance and points change in the card package after the periodic push."""
import re

import pytest
from sqlalchemy import select

from models import Member, SandboxCardCode
from services.wechat_cards import sync
from tests.e2e import card_journeys as journey
from tests.e2e.phones import claim_with_sms_code

pytestmark = pytest.mark.e2e
MOBILE = "13866660001"


@pytest.fixture()
def card_shop(make, db, live_server):
    return journey.card_shop(make, db, "cardcafe", "卡包咖啡", sync.sync)


def card_figures(page, live_server, slug):
    page.goto(f"{live_server}/sandbox/phone/cards?m={slug}")
    card = page.locator(".sbx-wxcard-wrap[data-state=activated]")
    return {"balance": card.locator(".card-balance b").text_content().strip(),
            "points": card.locator(".card-bonus b").text_content().strip(),
            "level": card.locator(".card-field b").text_content().strip()}


def test_does_the_card_in_the_wechat_card_package_follow_the_till(phone, live_server, card_shop, db):
    slug = card_shop.slug
    phone.goto(f"{live_server}/sandbox/phone?m={slug}")
    phone.fill("#wechat-nickname", "小卡")
    phone.click("#create-wechat-user")
    phone.click("#follow")
    phone.get_by_role("link", name="点击领取会员卡").first.click()
    phone.wait_for_url(re.compile(rf"/h5/{slug}/claim(#.*)?$"))
    claim_with_sms_code(phone, live_server, MOBILE, "小卡")
    phone.wait_for_url(re.compile(rf"/h5/{slug}/member(#.*)?$"))

    # 领取到微信卡包: the simulated WeChat offers the card; adding it activates it for the member at once
    phone.click("#wechat-add-card")
    phone.wait_for_selector("#adding")
    phone.locator("#offered form:has(#adding) button[type=submit]").click()
    phone.wait_for_selector(".sbx-wxcard-wrap[data-state=activated]")
    assert card_figures(phone, live_server, slug) == {"balance": "¥0.00", "points": "100", "level": "普通"}

    member = db.session.scalars(select(Member).where(Member.merchant_id == card_shop.id,
                                                     Member.mobile == MOBILE)).one()
    journey.topped_up(db, card_shop, member, 20_000, "e2e:topup")  # ¥200 topped up earlier
    assert card_figures(phone, live_server, slug)["balance"] == "¥200.00"

    assert "实付 ¥50.00" in journey.charge_balance_at_till(phone.context.browser, live_server, slug, MOBILE, 50)
    earned = journey.points_now(db, member.id)
    assert earned > 100  # the payment earned points
    journey.push_now(db)
    assert card_figures(phone, live_server, slug) == {"balance": "¥150.00", "points": str(earned), "level": "普通"}
    calls = db.session.scalars(select(SandboxCardCode.updates).where(SandboxCardCode.app_id == card_shop.wechat_app_id)
                               ).one()
    assert calls <= 3  # the activation's follow-up, the top-up, the payment's points and balance together
