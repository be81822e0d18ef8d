"""In real Chromium: an Alipay user joins on the member pages, opens the shop's member card in the simulated Alipay
card package from the member centre (with their points), is charged at the till by a cashier who types the card's
Alipay number, and then sees the card's balance and points change in the Alipay card package after the push."""
import re

import pytest
from sqlalchemy import select

from models import AlipayCardHolding, Member, SandboxAlipayCard
from services.alipay_cards import template
from tests.e2e import card_journeys as journey
from tests.e2e.phones import claim_with_sms_code

pytestmark = pytest.mark.e2e
MOBILE = "13866660002"


@pytest.fixture()
def card_shop(make, db, live_server):
    return journey.card_shop(make, db, "alicafe", "支付宝咖啡", template.sync)


def card_figures(page, live_server, slug):
    page.goto(f"{live_server}/sandbox/phone/alipay-cards?m={slug}")
    card = page.locator(".sbx-wxcard-wrap")
    return {"balance": card.locator(".alipay-card-balance b").text_content().strip(),
            "points": card.locator(".alipay-card-point b").text_content().strip(),
            "level": card.locator(".alipay-card-level b").text_content().strip()}


def test_does_the_card_in_the_alipay_card_package_follow_the_till(phone, live_server, card_shop, db):
    slug = card_shop.slug
    phone.goto(f"{live_server}/sandbox/phone?m={slug}")
    phone.fill("#alipay-nickname", "小支")
    phone.click("#create-alipay-user")
    phone.wait_for_url(re.compile(rf"/h5/{slug}/claim"))  # signed in through Alipay's auth_base, not a member yet
    claim_with_sms_code(phone, live_server, MOBILE, "小支")
    phone.wait_for_url(re.compile(rf"/h5/{slug}/member(#.*)?$"))

    phone.click("#alipay-open-card")  # 领取到支付宝卡包
    phone.wait_for_url(re.compile(rf"/sandbox/phone/alipay-cards\?m={slug}"))
    assert card_figures(phone, live_server, slug) == {"balance": "0.00", "points": "100", "level": "普通"}

    member = db.session.scalars(select(Member).where(Member.merchant_id == card_shop.id,
                                                     Member.mobile == MOBILE)).one()
    number = db.session.scalars(select(AlipayCardHolding.biz_card_no).where(
        AlipayCardHolding.member_id == member.id)).one()
    journey.topped_up(db, card_shop, member, 20_000, "e2e:topup")  # ¥200 topped up earlier
    assert card_figures(phone, live_server, slug)["balance"] == "200.00"

    receipt = journey.charge_balance_at_till(phone.context.browser, live_server, slug, number, 50)  # the card's number
    assert "实付 ¥50.00" in receipt
    earned = journey.points_now(db, member.id)
    assert earned > 100  # the payment earned points
    journey.push_now(db)
    assert card_figures(phone, live_server, slug) == {"balance": "150.00", "points": str(earned), "level": "普通"}
    calls = db.session.scalars(select(SandboxAlipayCard.updates).where(
        SandboxAlipayCard.app_id == card_shop.alipay_app_id)).one()
    assert calls <= 3  # the opening's follow-up, the top-up, the payment's points and balance together
