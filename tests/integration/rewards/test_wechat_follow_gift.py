"""The follow gift (a follow rule): once per follower, at the follow for members, at card claim for the others."""
import time

from sqlalchemy import select

from models import Fan, Member, PointsTransaction, WechatInbound
from sandbox import wechat_events as events, wechat_state as wechat_sandbox
from services.rewards import gifts as gift_rules
from services.members import join as member_join, members
from tests.integration.wechat.test_wechat_callback import (  # noqa: F401  (fixtures)
    base, count, deliver_at_once, plain, shop, text_of)

GIFT = 50


def follow_gift_transactions(db):
    db.session.expire_all()
    return db.session.scalars(select(PointsTransaction).where(PointsTransaction.note == "关注礼")).all()


def follow_gift_rule(db, shop):
    db.session.add(gift_rules.points_rule(shop.id, "follow", "关注礼", GIFT))


def test_do_three_concurrent_follows_of_a_member_give_one_fan_one_welcome_one_gift(shop, base, db):
    follow_gift_rule(db, shop)
    person = wechat_sandbox.create_wechat_user(db.session, shop.wechat_app_id, "老会员")
    member = members.create_member(db.session, shop.id, mobile="13700000001")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=shop.wechat_app_id)
    db.session.commit()
    member_id = member.id
    xml = events.event_xml(plain(shop), person.user_key, "subscribe")
    results = deliver_at_once(base, plain(shop), xml, copies=3)

    assert [r.status for r in results] == [200, 200, 200]
    assert len({r.reply_xml for r in results}) == 1
    assert f"关注礼品：{GIFT} 积分已到账" in text_of(results[0])
    assert count(db, Fan) == 1 and count(db, WechatInbound) == 1
    assert [t.amount for t in follow_gift_transactions(db)] == [GIFT]
    assert db.session.get(Member, member_id).points_balance == GIFT


def test_does_a_follower_who_joins_later_get_the_gift_once_and_not_again_on_refollow(shop, base, db):
    follow_gift_rule(db, shop)
    person = wechat_sandbox.create_wechat_user(db.session, shop.wechat_app_id, "新粉丝")
    db.session.commit()
    followed = events.deliver(base, "cafe", plain(shop), events.event_xml(plain(shop), person.user_key, "subscribe"))
    assert f"领取会员卡即得 {GIFT} 积分" in text_of(followed)
    assert follow_gift_transactions(db) == []

    login = member_join.ChannelLogin(shop.id, "wechat", shop.wechat_app_id, person.user_key)
    member = member_join.join(db.session, shop, login, mobile="13700000002", profile=member_join.Profile())
    db.session.commit()
    assert [t.amount for t in follow_gift_transactions(db)] == [GIFT]

    account = plain(shop)
    later = int(time.time()) + 2  # a later event, so not a retry of the first follow
    events.deliver(base, "cafe", account, events.event_xml(account, person.user_key, "unsubscribe", created=later))
    again = events.deliver(base, "cafe", account, events.event_xml(account, person.user_key, "subscribe", created=later + 1))
    assert again.status == 200
    assert [t.amount for t in follow_gift_transactions(db)] == [GIFT], "one gift per follower, ever"
    assert db.session.get(Member, member.id).points_balance == GIFT


def test_is_there_no_gift_when_the_merchant_has_not_set_one(shop, base, db):
    person = wechat_sandbox.create_wechat_user(db.session, shop.wechat_app_id, "普通粉丝")
    member = members.create_member(db.session, shop.id, mobile="13700000003")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, app_id=shop.wechat_app_id)
    db.session.commit()
    reply = events.deliver(base, "cafe", plain(shop), events.event_xml(plain(shop), person.user_key, "subscribe"))
    assert "积分" not in text_of(reply) and follow_gift_transactions(db) == []
