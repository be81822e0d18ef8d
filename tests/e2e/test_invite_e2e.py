"""In a real Chromium, two simulated phones inside WeChat: a member opens 邀请好友 from 我的, copies their invite
link; a friend scans it on their own phone, claims the card with the SMS code, and the member sees the friend
(masked) and the reward, given once even when the friend opens the link again."""
import re

import pytest

from domain import roles
from services.recruitment import referral_settings
from tests.e2e.conftest import launched_chromium
from tests.e2e.phones import claim_with_sms_code, wechat_phone
from tests.web.member_h5.test_h5_support import provision

pytestmark = pytest.mark.e2e


@pytest.fixture()
def invite_shop(make, db):
    merchant = make.merchant(slug="invitecafe", name="邀请咖啡")
    owner = make.staff(merchant, role=roles.OWNER)
    referral_settings.save(db.session, owner, invite_enabled=True, rebind_guide_on_scan=False,
                           rewards={"join": [{"points": 50, "coupon_template_id": None}]})
    return provision(db, merchant, registration_points=100)


def _wechat_user(page, live_server, shop, nickname):
    page.goto(f"{live_server}/sandbox/phone?m={shop.slug}")
    page.fill("#wechat-nickname", nickname)
    page.click("#create-wechat-user")


def test_does_a_friend_joining_through_a_members_copied_invite_link_reward_the_member_once(
        live_server, invite_shop):
    with launched_chromium() as browser:
        host, friend = wechat_phone(browser), wechat_phone(browser)

        _wechat_user(host, live_server, invite_shop, "老会员")
        host.goto(f"{live_server}/h5/{invite_shop.slug}/claim")
        host.wait_for_url(re.compile(r"/claim(#.*)?$"))
        claim_with_sms_code(host, live_server, "13812340001", "老会员")
        host.wait_for_url(re.compile(rf"/h5/{invite_shop.slug}/member(#.*)?$"))
        host.click("#tile-invite")
        host.wait_for_url(re.compile(r"/member/invite$"))
        assert "好友通过你的邀请开卡，你得 50 积分" in host.text_content("#invite-rewards")
        assert "开卡即得 100 积分" in host.text_content("#invite-friend-gets")
        link = host.input_value("#invite-url")
        host.click("#invite-copy")
        host.wait_for_selector("#invite-copy:has-text('已复制')")
        assert host.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        _wechat_user(friend, live_server, invite_shop, "新朋友")
        friend.fill("#scan-url", link)
        friend.click("#scan-url-open")
        friend.wait_for_url(re.compile(r"/claim(#.*)?$"))
        claim_with_sms_code(friend, live_server, "13812340002", "新朋友")
        friend.wait_for_url(re.compile(rf"/h5/{invite_shop.slug}/member(#.*)?$"))
        friend.goto(link)  # the friend opens the link again, now a member: nothing more
        friend.goto(f"{live_server}/h5/{invite_shop.slug}/member")

        host.goto(f"{live_server}/h5/{invite_shop.slug}/member/invite")
        friends = host.text_content("#invite-friends")
        assert "138****0002" in friends and "已获 50 积分" in friends and "13812340002" not in friends
        assert host.text_content("#invite-totals strong").strip() == "1"
        host.goto(f"{live_server}/h5/{invite_shop.slug}/member")
        assert host.text_content("#points-balance").strip() == "150"  # 开卡礼 100 + the invite's 50, once
        host.context.close()
        friend.context.close()
