"""Activating the WeChat member card (激活) from the card package: the card's activation link opens our page, which
binds the card to the member (a WeChat user who is not one yet claims the card with a verified phone first) and
activates it in WeChat with the code staff scan, the member's points and balance."""
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from extensions import db as database
from models import SandboxCardCode, WechatCardHolding
from sandbox import wechat_card_store as store, wechat_state as sbx
from sandbox.wechat_cards import encrypt_code
from services.members import members
from services.till import quote
from services.wechat_cards import face, sync
from tests.web.member_h5.test_h5_support import latest_sms_code, sign_in

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxcardactivate01", SECRET, "tok"
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


def added(db, shop, card_id, person):
    """The user adds the card in the phone's card package: (code, the activation link's query)."""
    code = store.add_to_package(db.session, shop.wechat_app_id, card_id, person.user_key).code
    secret = encrypt_code(db.session, shop.wechat_app_id, code)
    db.session.commit()
    return code, {"card_id": card_id, "encrypt_code": secret, "openid": person.user_key}


def wechat_code(db, code):
    db.session.expire_all()
    return db.session.scalars(select(SandboxCardCode).where(SandboxCardCode.code == code)).one()


def test_does_a_members_card_activate_with_their_code_points_and_balance(shop, card_id, person, make, db, client):
    member = make.member(shop, mobile="13800138000")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, shop.wechat_app_id)
    member.points_balance = 120
    make.wallet(shop, member, principal=5000, bonus=1000)
    db.session.commit()
    code, query = added(db, shop, card_id, person)
    sign_in(client, shop, "wechat", person.user_key)
    response = client.get("/h5/tea/wechat-card/activate", query_string=query)
    assert response.status_code == 200 and "会员卡已激活" in response.get_data(as_text=True)
    row = wechat_code(db, code)
    assert (row.state, row.membership_number, row.bonus, row.balance) == ("activated", code, 120, 6000)
    holding = db.session.scalars(select(WechatCardHolding)).one()  # recorded though no user_get_card arrived
    assert (holding.state, holding.member_id, holding.openid) == ("activated", member.id, person.user_key)
    assert quote.identify(db.session, shop, code)[0].id == member.id  # the code on the card is what staff scan
    again = client.get("/h5/tea/wechat-card/activate", query_string=query)  # opened twice: nothing new
    assert again.status_code == 200 and wechat_code(db, code).updates == 0
    client.set_cookie("sandbox_wechat_user", str(person.id))
    package = client.get("/sandbox/phone/cards", query_string={"m": "tea"}).get_data(as_text=True)
    assert ">120<" in package and "¥60.00" in package and code in package and "激活会员卡" not in package


def test_does_a_wechat_user_claim_the_card_with_a_verified_phone_then_come_back(shop, card_id, person, db, client,
                                                                                   make):
    existing = make.member(shop, mobile="13900000021")
    db.session.commit()
    code, query = added(db, shop, card_id, person)
    client.set_cookie("sandbox_wechat_user", str(person.id))
    package = client.get("/sandbox/phone/cards", query_string={"m": "tea"}).get_data(as_text=True)
    assert "待激活" in package and "激活会员卡" in package and "phone/cards/activate" in package  # WeChat's form
    sign_in(client, shop, "wechat", person.user_key)
    response = client.get("/h5/tea/wechat-card/activate", query_string=query)
    assert response.status_code == 302 and urlsplit(response.location).path == "/h5/tea/claim"
    back = urlencode({"next": parse_qs(urlsplit(response.location).query)["next"][0]})
    client.post(f"/h5/tea/claim?{back}", data={"action": "send_code", "mobile": "13900000021"})
    claimed = client.post(f"/h5/tea/claim?{back}", data={
        "action": "claim", "mobile": "13900000021", "code": latest_sms_code(db, "13900000021")})
    assert claimed.status_code == 302 and claimed.location.startswith("/h5/tea/wechat-card/activate?")
    assert client.get(claimed.location).status_code == 200
    db.session.expire_all()
    holding = db.session.scalars(select(WechatCardHolding)).one()
    assert (holding.member_id, holding.state, wechat_code(db, code).state) == (existing.id, "activated", "activated")


def test_is_a_forged_or_someone_elses_card_not_activated(shop, card_id, person, make, db, client):
    member = make.member(shop, mobile="13800138001")
    members.bind_identity(db.session, member, "wechat_openid", person.user_key, shop.wechat_app_id)
    stranger = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小李")
    db.session.commit()
    theirs, theirs_query = added(db, shop, card_id, stranger)
    sign_in(client, shop, "wechat", person.user_key)
    for query in (theirs_query, {"card_id": card_id, "encrypt_code": "forged"},
                  {"card_id": "pOtherCard", "encrypt_code": theirs_query["encrypt_code"]},
                  {"card_id": card_id, "encrypt_code": "x" * 5000}, {}):
        assert client.get("/h5/tea/wechat-card/activate", query_string=query).status_code in (400, 404)
    assert wechat_code(db, theirs).state == "added"
    assert database.session.scalars(select(WechatCardHolding).where(WechatCardHolding.state == "activated")).all() == []
