"""In real Chromium: an Alipay user joins on the member pages, opens the shop's member card in the simulated Alipay
card package from the member centre (with their points), is charged at the till by a cashier who types the card's
Alipay number, and then sees the card's balance and points change in the Alipay card package after the push."""
import re

import pytest
from sqlalchemy import select

from domain import roles
from jobs.wechat import push_card_packages_everywhere
from models import AlipayCardHolding, Member, SandboxAlipayCard
from services.alipay_cards import template
from services.wallet import journal as wallet
from services.wechat_cards import face
from tests.e2e.conftest import sign_in_to_staff_page
from tests.e2e.phones import claim_with_sms_code, wechat_phone
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e
MOBILE = "13866660002"


@pytest.fixture()
def card_shop(make, db, live_server):
    merchant = make.merchant(slug="alicafe", name="支付宝咖啡")
    store = make.store(merchant, "总店")
    make.staff(merchant, role=roles.CASHIER, username="till", stores_=[store])
    provision(db, merchant, registration_points=100)
    face.save(db.session, make.staff(merchant, role=roles.OWNER), merchant, **face.defaults(merchant))
    db.session.commit()
    assert template.sync(db.session, merchant) is True
    db.session.commit()
    return merchant


def card_figures(page, live_server, slug):
    page.goto(f"{live_server}/sandbox/phone/alipay-cards?m={slug}")
    card = page.locator(".sbx-wxcard-wrap")
    return {"balance": card.locator(".alipay-card-balance b").text_content().strip(),
            "points": card.locator(".alipay-card-point b").text_content().strip(),
            "level": card.locator(".alipay-card-level b").text_content().strip()}


def push_now(db):
    """What the scheduler's 2-second job does on a worker."""
    push_card_packages_everywhere(db.session)
    db.session.commit()


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
    purse = wallet.member_wallet(db.session, card_shop.id, member.id)
    wallet.credit(db.session, card_shop.id, purse.id, 20_000, key="e2e:topup")  # ¥200 topped up earlier
    db.session.commit()
    push_now(db)
    assert card_figures(phone, live_server, slug)["balance"] == "200.00"

    till = wechat_phone(phone.context.browser)
    sign_in_to_staff_page(till, live_server, slug, "till", PASSWORD)
    till.click("#tab-till")
    till.wait_for_url(f"{live_server}/staff/checkout")
    till.fill("input[name=amount]", "50")
    till.fill("input[name=code]", number)  # the number the Alipay card shows
    till.click("#quote-member")
    till.wait_for_selector("#quote-steps")
    assert till.is_checked("#tender-balance")
    till.click("#confirm-pay")
    till.wait_for_url(f"{live_server}/staff/checkouts/*")
    assert "实付 ¥50.00" in till.text_content("#receipt-head")
    till.context.close()

    db.session.expire_all()
    earned = db.session.get(Member, member.id).points_balance
    assert earned > 100  # the payment earned points
    push_now(db)
    assert card_figures(phone, live_server, slug) == {"balance": "150.00", "points": str(earned), "level": "普通"}
    calls = db.session.scalars(select(SandboxAlipayCard.updates).where(
        SandboxAlipayCard.app_id == card_shop.alipay_app_id)).one()
    assert calls <= 3  # the opening's follow-up, the top-up, the payment's points and balance together
