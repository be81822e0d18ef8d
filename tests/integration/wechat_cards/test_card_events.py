"""The card package's events through the official-account callback, over real HTTP: the simulated phone adding and
deleting the member card, WeChat's retries counted once, forged and foreign events changing nothing."""
import time

import pytest
import requests
from sqlalchemy import func, select

from models import MemberIdentity, WechatCardHolding, WechatInbound
from sandbox import wechat_card_store as store, wechat_events as events, wechat_state as sbx
from services.wechat_cards import face, sync

SECRET, TOKEN = "0123456789abcdef0123456789abcdef", "cardtoken"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxcardevents0001", SECRET, TOKEN
    merchant.wechat_message_mode = "plain"
    db.session.commit()
    return merchant


@pytest.fixture()
def card_id(make, shop, db, live_server):
    card = face.save(db.session, make.staff(shop), shop, **face.defaults(shop))
    assert sync.sync(db.session, shop) is True
    db.session.commit()
    return card.card_id


@pytest.fixture()
def person(shop, db):
    row = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小王")
    db.session.commit()
    return row


def holdings(db, *where):
    db.session.expire_all()
    return db.session.scalars(select(WechatCardHolding).where(*where).order_by(WechatCardHolding.id)).all()


def account(shop):
    return events.Account(shop.wechat_app_id, TOKEN)


def send(base, shop, openid, event, card_id, code, created=None, **fields):
    xml = events.card_event_xml(account(shop), openid, event, card_id, code, created=created, **fields)
    return events.deliver(base, shop.slug, account(shop), xml)


def test_does_the_phone_adding_and_deleting_the_card_reach_the_holding(shop, card_id, person, make, db,
                                                                     live_server):
    member = make.member(shop, mobile="13800138000")
    db.session.add(MemberIdentity(merchant_id=shop.id, member_id=member.id, kind="wechat_openid",
                                  app_id=shop.wechat_app_id, value=person.user_key))
    member.points_balance = 88
    make.wallet(shop, member, principal=1234)
    db.session.commit()
    browser = requests.Session()
    browser.cookies.set("sandbox_wechat_user", str(person.id))
    added = browser.post(f"{live_server}/sandbox/phone/cards/add", data={"m": "tea", "card_id": card_id}, timeout=10)
    code = store.codes_of_user(db.session, shop.wechat_app_id, person.user_key)[0].code
    # A member's own openid: activated by the job the event deferred, with their points and balance.
    assert added.ok and "待激活" not in added.text and code in added.text and "12.34" in added.text
    [row] = holdings(db, WechatCardHolding.merchant_id == shop.id)
    assert (row.card_id, row.code, row.openid, row.state, row.member_id) == (card_id, code, person.user_key,
                                                                             "activated", member.id)
    browser.post(f"{live_server}/sandbox/phone/cards/delete", data={"m": "tea", "code": code}, timeout=10)
    [row] = holdings(db, WechatCardHolding.merchant_id == shop.id)
    assert row.state == "deleted"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WechatInbound)
                             .where(WechatInbound.event.in_(("user_get_card", "user_del_card")))) == 2


def test_does_a_card_added_by_someone_not_yet_a_member_wait_for_activation(shop, card_id, person, db, make,
                                                                             live_server):
    browser = requests.Session()
    browser.cookies.set("sandbox_wechat_user", str(person.id))
    added = browser.post(f"{live_server}/sandbox/phone/cards/add", data={"m": "tea", "card_id": card_id}, timeout=10)
    assert added.ok and "待激活" in added.text and "激活会员卡" in added.text
    assert [(row.state, row.member_id) for row in holdings(db)] == [("added", None)]
    member = make.member(shop, mobile="13800138009")  # joins later, then sends WeChat's activation form
    db.session.add(MemberIdentity(merchant_id=shop.id, member_id=member.id, kind="wechat_openid",
                                  app_id=shop.wechat_app_id, value=person.user_key))
    db.session.commit()
    code = holdings(db)[0].code
    assert send(live_server, shop, person.user_key, "submit_membercard_user_info", card_id, code).status == 200
    assert [(row.state, row.member_id) for row in holdings(db)] == [("activated", member.id)]


def test_is_a_repeated_event_counted_once_and_a_late_add_does_not_undo_a_delete(shop, card_id, live_server, db):
    at = int(time.time())
    for _ in range(3):  # WeChat's retries of one event (same sender, same CreateTime)
        assert send(live_server, shop, "oUser1", "user_get_card", card_id, "111122223333", created=at,
                    IsGiveByFriend=0, OuterStr="h5").status == 200
    assert len(holdings(db)) == 1
    assert send(live_server, shop, "oUser1", "user_del_card", card_id, "111122223333", created=at + 1).status == 200
    send(live_server, shop, "oUser1", "user_get_card", card_id, "111122223333", created=at + 2)  # out of order
    assert [row.state for row in holdings(db)] == ["deleted"]
    send(live_server, shop, "oUser1", "user_get_card", card_id, "111122223333", created=at + 3,
         IsRestoreMemberCard=1)  # the user brought the deleted card back
    assert [row.state for row in holdings(db)] == ["added"]


def test_are_view_update_and_activation_form_events_recording_a_missed_add(shop, card_id, live_server, db):
    send(live_server, shop, "oUser2", "user_view_card", card_id, "222233334444", OuterStr="")
    send(live_server, shop, "oUser2", "update_member_card", card_id, "222233334444", ModifyBonus=10,
         ModifyBalance=0)
    send(live_server, shop, "oUser2", "submit_membercard_user_info", card_id, "222233334444")
    [row] = holdings(db)
    assert (row.code, row.state, row.openid) == ("222233334444", "added", "oUser2")
    send(live_server, shop, "oSomeoneElse", "user_del_card", card_id, "222233334444")  # not their code
    assert [row.state for row in holdings(db)] == ["added"]


def test_does_a_forged_card_event_change_nothing(shop, card_id, live_server, db):
    xml = events.card_event_xml(account(shop), "oUser3", "user_get_card", card_id, "333344445555")
    query = events.signed_query("not-the-token")
    response = requests.post(events.callback_url(live_server, "tea", query), data=xml.encode(), timeout=5)
    assert response.status_code == 403
    assert holdings(db) == []


def test_is_an_event_for_another_merchants_card_ignored(shop, card_id, make, live_server, db):
    other = make.merchant(slug="cafe", name="咖啡店", with_levels=False)
    other.wechat_app_id, other.wechat_app_secret, other.wechat_token = "wxcardevents0002", SECRET, "othertoken"
    other.wechat_message_mode = "plain"
    theirs = face.save(db.session, make.staff(other), other, **face.defaults(other))
    sync.sync(db.session, other)
    db.session.commit()
    for name in ("user_get_card", "user_view_card", "user_del_card", "submit_membercard_user_info"):
        assert send(live_server, shop, "oUser4", name, theirs.card_id, "444455556666").status == 200
        assert send(live_server, shop, "oUser4", name, "pUnknownCard", "444455556667").status == 200
    send(live_server, shop, "oUser4", "user_get_card", card_id, "x" * 33)  # no code of WeChat's is that long
    assert holdings(db) == []
