"""The sandbox plays WeChat's member card API (card/create, update, get, membercard activate and updateuser, code
get and decrypt) for the app's own wechatpy client, over real HTTP, with WeChat's error codes."""
import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from sandbox import wechat_card_store as store, wechat_state as sbx
from sandbox.wechat_cards import encrypt_code

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxsandboxcard001", SECRET, "tok123"
    db.session.commit()
    return merchant


@pytest.fixture()
def person(shop, db):
    row = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小王")
    db.session.commit()
    return row


def member_card(**base):
    return {"card": {"card_type": "MEMBER_CARD", "member_card": {
        "base_info": {"logo_url": "https://example.com/logo.png", "brand_name": "茶饮店", "code_type": "CODE_TYPE_QRCODE",
                      "title": "茶饮店会员卡", "color": "Color010", "notice": "使用时出示会员卡",
                      "description": "不可与其他优惠同享", "date_info": {"type": "DATE_TYPE_PERMANENT"},
                      "sku": {"quantity": 100000000}, "custom_url_name": "优惠券",
                      "custom_url": "https://example.com/h5/tea/coupons", **base},
        "prerogative": "会员享 9.5 折", "supply_bonus": True, "supply_balance": True,
        "bonus_url": "https://example.com/h5/tea/points",
        "custom_cell1": {"name": "付费会员", "tips": "开通", "url": "https://example.com/h5/tea/membership"}}}}


def errcode(call):
    with pytest.raises(WeChatClientException) as refused:
        call()
    return refused.value.errcode


def test_is_a_member_card_created_read_and_updated(shop, db):
    client = client_for(shop)
    card_id = client.card.create(member_card())
    assert card_id.startswith("p")
    card = client.card.get(card_id)
    assert card["card_type"] == "MEMBER_CARD"
    assert card["member_card"]["base_info"]["title"] == "茶饮店会员卡" and card["member_card"]["base_info"]["id"] == card_id
    answer = client.card.update({"card_id": card_id, "member_card": {"base_info": {"title": "茶饮店金卡",
                                                                                   "color": "Color090"},
                                                                     "prerogative": "会员享 9 折"}})
    assert answer["errcode"] == 0
    base = client.card.get(card_id)["member_card"]["base_info"]
    assert (base["title"], base["color"], base["brand_name"]) == ("茶饮店金卡", "Color090", "茶饮店")


@pytest.mark.parametrize("change, code", [
    ({"title": "一二三四五六七八九十"}, 45021),          # 10 Chinese characters: WeChat takes 9
    ({"brand_name": "一二三四五六七八九十一二三"}, 45021),  # 13: WeChat takes 12
    ({"notice": "x" * 49}, 45021),
    ({"color": "#ff0000"}, 47001),
    ({"title": ""}, 41011),
    ({"logo_url": "ftp://example.com/logo.png"}, 45021),
    ({"custom_url_name": "我的优惠券列表"}, 45021),
], ids=["title", "brand_name", "notice", "colour", "no title", "logo url", "cell name"])
def test_is_a_card_outside_wechats_limits_refused(shop, db, change, code):
    assert errcode(lambda: client_for(shop).card.create(member_card(**change))) == code
    assert store.cards(db.session, shop.wechat_app_id) == []


def test_are_only_member_cards_and_this_apps_cards_known(shop, make, db):
    client = client_for(shop)
    assert errcode(lambda: client.card.create({"card": {"card_type": "CASH", "cash": {}}})) == 40071
    assert errcode(lambda: client.card.get("pNobody")) == 40073
    other = make.merchant(slug="cafe", name="咖啡店", with_levels=False)
    other.wechat_app_id, other.wechat_app_secret = "wxsandboxcard002", SECRET
    db.session.commit()
    theirs = client_for(other).card.create(member_card())
    assert errcode(lambda: client.card.get(theirs)) == 40073
    assert errcode(lambda: client.card.update({"card_id": theirs, "member_card": {"base_info": {}}})) == 40073


def test_is_a_card_in_a_package_activated_and_kept_up_to_date(shop, person, db):
    client = client_for(shop)
    card_id = client.card.create(member_card())
    code = store.add_to_package(db.session, shop.wechat_app_id, card_id, person.user_key).code
    db.session.commit()
    assert errcode(lambda: client.card.update_membercard(code, card_id, bonus=10)) == 40078  # not activated yet
    client.card.activate_membercard(code, code, card_id=card_id, init_bonus=120, init_balance=5000,
                                    init_custom_field_value1="银卡")
    answer = client.card.update_membercard(code, card_id, add_bonus=30, balance=4000, add_balance=-1000,
                                           record_balance="消费 10 元")
    assert (answer["result_bonus"], answer["result_balance"], answer["openid"]) == (150, 4000, person.user_key)
    again = client.card.update_membercard(code, card_id, bonus=150, balance=4000)  # a retry with totals counts once
    assert (again["result_bonus"], again["result_balance"]) == (150, 4000)
    assert client.card.get_code(code, card_id)["openid"] == person.user_key
    assert errcode(lambda: client.card.update_membercard("000000000000", card_id, bonus=1)) == 40056
    assert errcode(lambda: client.card.activate_membercard("", code, card_id=card_id)) == 41011


def test_is_an_encrypt_code_decrypted_for_its_app_only(shop, person, db):
    client = client_for(shop)
    card_id = client.card.create(member_card())
    code = store.add_to_package(db.session, shop.wechat_app_id, card_id, person.user_key).code
    secret = encrypt_code(db.session, shop.wechat_app_id, code)
    db.session.commit()
    assert client.card.decrypt_code(secret) == code
    assert errcode(lambda: client.card.decrypt_code("forged")) == 40056


def test_does_the_card_api_need_a_live_access_token(shop, live_server):
    answer = requests.post(f"{live_server}/sandbox/wechat/api/card/create", params={"access_token": "forged"},
                           json=member_card(), timeout=5).json()
    assert answer["errcode"] == 40001


def test_does_the_phones_card_package_show_the_cards_face_and_figures(shop, person, db, live_server):
    client = client_for(shop)
    card_id = client.card.create(member_card())
    browser = requests.Session()
    browser.cookies.set("sandbox_wechat_user", str(person.id))
    page = browser.get(f"{live_server}/sandbox/phone/cards", params={"m": "tea"}, timeout=5).text
    assert "可领取的会员卡" in page and "茶饮店会员卡" in page and "卡包里还没有" in page
    added = browser.post(f"{live_server}/sandbox/phone/cards/add", data={"m": "tea", "card_id": card_id}, timeout=5)
    assert added.ok and "待激活" in added.text
    code = store.codes_of_user(db.session, shop.wechat_app_id, person.user_key)[0].code
    client.card.activate_membercard(code, code, card_id=card_id, init_bonus=88, init_balance=12345)
    page = browser.get(f"{live_server}/sandbox/phone/cards", params={"m": "tea"}, timeout=5).text
    assert "sbx-wxcard_Color010" in page and "123.45" in page and ">88<" in page
    assert "付费会员" in page and "优惠券" in page and "encrypt_code" in page
    browser.post(f"{live_server}/sandbox/phone/cards/delete", data={"m": "tea", "code": code}, timeout=5)
    assert "卡包里还没有" in browser.get(f"{live_server}/sandbox/phone/cards", params={"m": "tea"}, timeout=5).text
