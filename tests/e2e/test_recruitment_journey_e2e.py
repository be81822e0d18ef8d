"""The recruitment journey of issue 22 in a real Chromium: a guide shows their join code on the staff page; a
customer scans it on a simulated phone inside WeChat and claims the card; the back office counts the customer under
that guide's recruits (店员绩效) and that code's joins (渠道分析), and the guide sees them under 我的会员; the
customer copies their own invite link; a friend joins through it on another phone, and the customer is rewarded
once, even when the friend opens the link again."""
import re

import pytest
from sqlalchemy import select

from domain import roles
from models import Member, RecruitSource
from services.recruitment import referral_settings
from tests.e2e.conftest import launched_chromium, sign_in_to_staff_page
from tests.e2e.phones import claim_with_sms_code, new_screen, wechat_phone
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e
CUSTOMER, FRIEND = "13812350001", "13812350002"


@pytest.fixture()
def recruiting_shop(make, db):
    merchant = make.merchant(slug="recruitcafe", name="招募咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    guide = make.staff(merchant, role=roles.GUIDE, username="xiaowang")
    guide.name = "导购小王"
    referral_settings.save(db.session, owner, invite_enabled=True, rebind_guide_on_scan=False,
                           rewards={"join": [{"points": 30, "coupon_template_id": None}]})
    provision(db, merchant, registration_points=100)
    return merchant, guide


def _scan_as_new_wechat_user(page, live_server, slug, nickname, url):
    """A new WeChat user on the simulated phone scans a QR code holding `url` (WeChat opens it in its browser)."""
    page.goto(f"{live_server}/sandbox/phone?m={slug}")
    page.fill("#wechat-nickname", nickname)
    page.click("#create-wechat-user")
    page.fill("#scan-url", url)
    page.click("#scan-url-open")
    page.wait_for_url(re.compile(r"/claim(#.*)?$"))


def _claim(page, live_server, slug, mobile, name):
    """Claim the card with the SMS code, landing on the member centre."""
    claim_with_sms_code(page, live_server, mobile, name)
    page.wait_for_url(re.compile(rf"/h5/{slug}/member(#.*)?$"))


def test_does_a_customer_who_scans_a_guides_code_count_for_the_guide_and_reward_their_own_invite_once(
        live_server, recruiting_shop, db):
    merchant, guide = recruiting_shop
    slug = merchant.slug
    with launched_chromium() as browser:
        staff_phone, customer, friend = wechat_phone(browser), wechat_phone(browser), wechat_phone(browser)
        office = new_screen(browser, viewport={"width": 1366, "height": 768})

        # The guide opens their own join code, full screen, from the 会员 tab.
        sign_in_to_staff_page(staff_phone, live_server, slug, "xiaowang", PASSWORD)
        staff_phone.goto(f"{live_server}/staff/join-code")
        assert "导购小王" in staff_phone.text_content("#join-code-who")
        assert staff_phone.is_visible("#join-code-qr svg")
        code_url = staff_phone.get_attribute("#join-code-qr", "data-url")
        assert re.search(rf"/h5/{slug}/j/[A-Za-z0-9_-]+$", code_url)

        # The customer scans it inside WeChat and claims the card.
        _scan_as_new_wechat_user(customer, live_server, slug, "顾客小李", code_url)
        _claim(customer, live_server, slug, CUSTOMER, "小李")
        assert customer.text_content("#points-balance").strip() == "100"

        db.session.expire_all()
        member = db.session.scalars(select(Member).where(Member.merchant_id == merchant.id,
                                                         Member.mobile == CUSTOMER)).one()
        assert member.guide_id == guide.id
        source = db.session.scalars(select(RecruitSource).where(
            RecruitSource.merchant_id == merchant.id, RecruitSource.token == code_url.rsplit("/", 1)[1])).one()
        assert source.staff_id == guide.id

        # The guide sees the customer among their own members.
        staff_phone.goto(f"{live_server}/staff/members/mine")
        assert "138****0001" in staff_phone.text_content("main")

        # The owner's back office counts the join for the guide and for the code.
        office.goto(f"{live_server}/backoffice/login")
        office.fill("input[name=merchant]", slug)
        office.fill("input[name=username]", "boss")
        office.fill("input[name=password]", PASSWORD)
        office.click("main form button[type=submit]")
        office.wait_for_url(f"{live_server}/backoffice/")
        office.goto(f"{live_server}/backoffice/reports/staff-performance")
        recruits = office.text_content(f'tr[data-staff-id="{guide.id}"] td:nth-child(2)')
        assert recruits.strip() == "1"
        office.goto(f"{live_server}/backoffice/reports/channels")
        assert office.is_visible(f'tr[data-source-id="{source.id}"]')
        office.goto(f"{live_server}/backoffice/reports/channels/source/{source.id}")
        assert office.text_content("#channel-joins").strip() == "1"
        assert "138****0001" in office.text_content("main")

        # The customer shares their own invite link; a friend joins through it.
        customer.goto(f"{live_server}/h5/{slug}/member/invite")
        invite_url = customer.input_value("#invite-url")
        _scan_as_new_wechat_user(friend, live_server, slug, "朋友小赵", invite_url)
        _claim(friend, live_server, slug, FRIEND, "小赵")
        friend.goto(invite_url)  # opened again as a member: nothing more is given
        friend.goto(f"{live_server}/h5/{slug}/member")

        customer.goto(f"{live_server}/h5/{slug}/member/invite")
        assert "138****0002" in customer.text_content("#invite-friends")
        customer.goto(f"{live_server}/h5/{slug}/member")
        assert customer.text_content("#points-balance").strip() == "130"  # 开卡礼 100 + one invite reward of 30
        for page in (staff_phone, customer, friend, office):
            page.context.close()
