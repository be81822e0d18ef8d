"""邀请好友 in the member pages: the invite QR and link, what the member and the friend get, the friends who joined
through the member; a friend opening the link joins under them; forged, expired and other merchants' links are
answered clearly and record nothing."""
from datetime import timedelta

from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from models import Member, ReferralReward
from services.coupons import templates as coupon_templates
from services.recruitment import referral_settings, sources
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_support import claim_card, wechat_login, wechat_user

shop = test_h5_support.shop  # the fixture (a 100-point 开卡礼)


def set_rewards(db, make, shop, *, enabled=True, join_points=50, coupon_title=None):
    owner = make.staff(shop, role=roles.OWNER)
    template = None
    if coupon_title:
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title=coupon_title,
                                                  amount_off=1000, validity_mode="relative", valid_days=30)
    referral_settings.save(db.session, owner, invite_enabled=enabled, rebind_guide_on_scan=False, rewards={
        "join": [{"points": join_points, "coupon_template_id": template.id if template else None},
                 {"points": 5, "coupon_template_id": None}],
        "first_payment": [{"points": 20, "coupon_template_id": None}]})
    db.session.commit()


def test_does_the_invite_page_show_the_qr_the_link_and_the_rewards_in_words(client, db, make, shop):
    set_rewards(db, make, shop, coupon_title="满50减10")
    member = wechat_member(make, shop, "o-inviter", mobile="13900000301")
    response = wechat_phone(client, shop, "o-inviter").get(f"/h5/{shop.slug}/member/invite")
    page = text_of(response)
    assert response.status_code == 200
    token = sources.for_member(db.session, member).token
    assert f"/h5/{shop.slug}/j/{token}" in page and 'id="invite-copy"' in page and "<svg" in page
    assert "好友通过你的邀请开卡，你得 50 积分 + 满50减10" in page
    assert "你邀请的好友再邀请新朋友开卡，你得 5 积分" in page and "好友首次消费，你再得 20 积分" in page
    assert "开卡即得 100 积分" in page  # the friend's 开卡礼
    assert "还没有好友通过你的邀请开卡" in page
    assert "js/invite_copy.js" in page


def test_is_the_invite_entry_shown_on_the_centre_and_me_only_while_invites_are_on(client, db, make, shop):
    wechat_member(make, shop, "o-entry")
    phone = wechat_phone(client, shop, "o-entry")
    assert 'id="tile-invite"' in text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="invite-link"' in text_of(phone.get(f"/h5/{shop.slug}/member/me"))
    set_rewards(db, make, shop, enabled=False)
    assert 'id="tile-invite"' not in text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="invite-link"' not in text_of(phone.get(f"/h5/{shop.slug}/member/me"))
    closed = phone.get(f"/h5/{shop.slug}/member/invite")
    assert closed.status_code == 404 and "商家暂未开启邀请好友活动" in text_of(closed)


def test_does_a_friend_opening_the_link_join_under_the_member_who_then_sees_them(app, db, make, shop):
    set_rewards(db, make, shop)
    inviter = wechat_member(make, shop, "o-host", mobile="13900000311")
    token = sources.for_member(db.session, inviter).token
    db.session.commit()

    friend_phone = app.test_client()
    wechat_login(friend_phone, shop, wechat_user(db, shop, "好友"))
    opened = friend_phone.get(f"/h5/{shop.slug}/j/{token}")
    assert opened.status_code == 302
    assert claim_card(friend_phone, db, shop, "13900000312").status_code == 302

    friend = db.session.scalars(select(Member).where(Member.mobile == "13900000312")).one()
    assert friend.referrer_id == inviter.id and fresh(inviter).points_balance == 50
    page = text_of(wechat_phone(app.test_client(), shop, "o-host").get(f"/h5/{shop.slug}/member/invite"))
    assert "139****0312" in page and "13900000312" not in page
    assert "已获 50 积分" in page and "未消费" in page


def test_is_a_forged_invite_link_answered_clearly_and_recorded_nowhere(client, db, make, shop):
    wechat_member(make, shop, "o-forge")
    for token in ("not-a-real-token", "x" * 200, "%00abc"):
        response = client.get(f"/h5/{shop.slug}/j/{token}")
        assert response.status_code == 404 and "链接无效" in text_of(response)
    with client.session_transaction() as session:
        assert "recruit_source" not in session


def test_is_an_expired_or_switched_off_invite_link_refused(client, db, make, shop):
    inviter = wechat_member(make, shop, "o-old")
    source = sources.for_member(db.session, inviter)
    sources.expire(db.session, source, now_utc() - timedelta(minutes=1))
    db.session.commit()
    expired = client.get(f"/h5/{shop.slug}/j/{source.token}")
    assert expired.status_code == 404 and "已过期" in text_of(expired)
    source.expires_at, source.active = None, False
    db.session.commit()
    off = client.get(f"/h5/{shop.slug}/j/{source.token}")
    assert off.status_code == 404 and "已停用" in text_of(off)


def test_is_another_merchants_invite_token_refused_at_this_merchants_address(app, db, make, shop):
    set_rewards(db, make, shop)
    elsewhere = make.merchant(name="别家")
    outsider = make.member(elsewhere)
    foreign_token = sources.for_member(db.session, outsider).token
    db.session.commit()
    phone = app.test_client()
    wechat_login(phone, shop, wechat_user(db, shop))
    refused = phone.get(f"/h5/{shop.slug}/j/{foreign_token}")
    assert refused.status_code == 404 and "链接无效" in text_of(refused)
    assert claim_card(phone, db, shop, "13900000321").status_code == 302
    friend = db.session.scalars(select(Member).where(Member.mobile == "13900000321")).one()
    assert friend.referrer_id is None and count(ReferralReward) == 0


def test_does_opening_ones_own_invite_page_twice_keep_one_link(client, db, make, shop):
    wechat_member(make, shop, "o-twice")
    phone = wechat_phone(client, shop, "o-twice")
    first, second = text_of(phone.get(f"/h5/{shop.slug}/member/invite")), \
        text_of(phone.get(f"/h5/{shop.slug}/member/invite"))
    link = first.split('id="invite-url" type="text" value="', 1)[1].split('"', 1)[0]
    assert link in second and "/j/" in link


def test_does_a_visitor_without_a_card_go_to_the_claim_instead_of_the_invite_page(client, db, shop):
    test_h5_support.sign_in(client, shop, "wechat", "o-nobody")
    response = client.get(f"/h5/{shop.slug}/member/invite")
    assert response.status_code == 302 and response.headers["Location"].endswith("/claim")
