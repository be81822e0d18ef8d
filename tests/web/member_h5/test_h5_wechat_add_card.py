"""领取到微信卡包 on the member centre: shown only inside WeChat once the merchant's card is in WeChat and the user
does not hold it; add.json signs wx.addCard's cardExt with the card api_ticket; without the JS-SDK bridge the
button opens the simulated phone's card package ready to add the card."""
import json

import pytest

from channels.wechat import client_for
from models import WechatCardHolding
from sandbox import wechat_state as sbx
from services.members import members
from services.wechat_cards import add_card, face, sync
from tests.web.member_h5.test_h5_support import sign_in

SECRET = "0123456789abcdef0123456789abcdef"
IN_WECHAT = {"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.40"}


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxcardaddcard001", SECRET, "tok"
    db.session.commit()
    return merchant


@pytest.fixture()
def person(shop, make, db, client):
    row = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小王")
    member = make.member(shop, mobile="13800138002")
    members.bind_identity(db.session, member, "wechat_openid", row.user_key, shop.wechat_app_id)
    db.session.commit()
    sign_in(client, shop, "wechat", row.user_key)
    return row


def synced(make, shop, db):
    card = face.save(db.session, make.staff(shop), shop, **face.defaults(shop))
    assert sync.sync(db.session, shop) is True
    db.session.commit()
    return card.card_id


def test_is_the_button_there_only_once_the_card_is_in_wechat_and_not_held(shop, person, make, db, client,
                                                                          live_server):
    assert "领取到微信卡包" not in client.get("/h5/tea/member", headers=IN_WECHAT).get_data(as_text=True)
    card_id = synced(make, shop, db)
    page = client.get("/h5/tea/member", headers=IN_WECHAT).get_data(as_text=True)
    assert "领取到微信卡包" in page and "wechat_add_card.js" in page
    assert f"/sandbox/phone/cards?m=tea&amp;add={card_id}" in page
    client.set_cookie("sandbox_wechat_user", str(person.id))
    sheet = client.get(f"/sandbox/phone/cards?m=tea&add={card_id}&outer_str=member_centre").get_data(as_text=True)
    assert "商户邀请你领取" in sheet and 'name="outer_str" value="member_centre"' in sheet
    db.session.add(WechatCardHolding(merchant_id=shop.id, card_id=card_id, code="123412341234",
                                     openid=person.user_key, state="added"))
    db.session.commit()
    assert "领取到微信卡包" not in client.get("/h5/tea/member", headers=IN_WECHAT).get_data(as_text=True)
    assert client.get("/h5/tea/wechat-card/add.json", query_string={"url": "http://x/h5/tea/member"}).status_code == 404


def test_is_the_button_hidden_outside_wechat(shop, person, make, db, client, live_server):
    synced(make, shop, db)
    assert "领取到微信卡包" not in client.get("/h5/tea/member").get_data(as_text=True)


def test_does_add_json_sign_the_card_ext_with_the_card_ticket(shop, person, make, db, client, live_server):
    card_id = synced(make, shop, db)
    answer = client.get("/h5/tea/wechat-card/add.json", query_string={"url": f"{live_server}/h5/tea/member"})
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["config"]["jsApiList"] == ["addCard"] and data["config"]["appId"] == shop.wechat_app_id
    [entry] = data["cardList"]
    ext = json.loads(entry["cardExt"])
    ticket = add_card.card_ticket(client_for(shop))
    assert entry["cardId"] == card_id and ext["openid"] == person.user_key and ext["outer_str"] == "member_centre"
    assert ext["signature"] == add_card.card_signature(ticket, ext["timestamp"], card_id, person.user_key,
                                                       ext["nonce_str"])
    bad = client.get("/h5/tea/wechat-card/add.json", query_string={"url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "error" in bad.get_json()
