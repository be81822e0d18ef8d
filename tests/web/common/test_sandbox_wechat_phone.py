"""The simulated phone and the sandbox's WeChat login page."""
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from channels.wechat import client_for
from models import Fan, KeywordReply, Merchant, SandboxUser
from sandbox import wechat_state as sbx
from services.wechat.settings import settings_for
from tests.web.helpers import fresh, text_of


@pytest.fixture()
def shop(merchant, db, live_server):
    """The merchant with a sandbox official account, as the phone's set-up button makes it."""
    sbx.provision_account(db.session, merchant)
    settings_for(db.session, merchant.id).welcome_text = "欢迎光临测试咖啡"
    db.session.commit()
    return merchant


def phone(client, shop):
    return text_of(client.get(f"/sandbox/phone?m={shop.slug}"))


def new_user(client, shop, nickname="小李"):
    client.post("/sandbox/phone/wechat/user", data={"m": shop.slug, "action": "create", "nickname": nickname})
    from extensions import db

    db.session.expire_all()
    return db.session.scalars(select(SandboxUser).where(SandboxUser.nickname == nickname)).one()


def send(client, shop, **form):
    return client.post("/sandbox/phone/wechat/send", data={"m": shop.slug, **form})


def fan_of(db, person):
    db.session.expire_all()
    return db.session.scalars(select(Fan).where(Fan.openid == person.user_key)).one_or_none()


def test_does_the_phone_list_merchants_and_offer_to_set_up_a_sandbox_account(client, merchant, db, live_server):
    assert merchant.name in text_of(client.get("/sandbox/phone"))
    assert "开通沙箱公众号" in phone(client, merchant)
    client.post("/sandbox/phone/setup", data={"m": merchant.slug})
    merchant = fresh(merchant)
    assert merchant.wechat_app_id.startswith("wx") and merchant.wechat_token and merchant.wechat_app_secret
    assert len(merchant.wechat_aes_key) == 43
    assert "新建用户" in phone(client, merchant)
    assert "选择商户" in text_of(client.get("/sandbox/phone?m="))  # 切换商户, although the phone remembers one


def test_does_following_on_the_phone_reach_the_callback_and_show_the_welcome_link(client, shop, db):
    person = new_user(client, shop)
    assert person.user_key.startswith("o") and len(person.user_key) == 28
    assert client.get_cookie("sandbox_wechat_user").value == str(person.id)
    response = send(client, shop, action="subscribe")
    assert response.status_code == 302
    page = phone(client, shop)
    assert "欢迎光临测试咖啡" in page and "已关注" in page and "取消关注" in page
    link = re.search(r'href="(/sandbox/phone/open\?url=[^"]+)"', page).group(1)
    assert unquote(link).endswith(f"/h5/{shop.slug}/")
    fan = fan_of(db, person)
    assert fan is not None and fan.subscribed


def test_does_a_link_from_the_chat_open_as_that_wechat_user(client, shop, live_server):
    person = new_user(client, shop)
    response = client.get(f"/sandbox/phone/open?url={live_server}/h5/{shop.slug}/")
    assert response.status_code == 302 and response.location == f"/h5/{shop.slug}/"
    assert client.get_cookie("sandbox_client").value == "wechat"
    assert client.get_cookie("sandbox_wechat_user").value == str(person.id)
    assert client.get("/sandbox/phone/open?url=javascript:alert(1)").location.endswith("/sandbox/phone")


def test_does_unfollowing_mark_the_fan(client, shop, db):
    person = new_user(client, shop)
    send(client, shop, action="subscribe")
    send(client, shop, action="unsubscribe")
    assert fan_of(db, person).subscribed is False
    assert "关注" in phone(client, shop)


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_does_the_phone_send_what_wechat_sends_in_the_merchants_message_mode(client, shop, db, mode):
    shop.wechat_message_mode = mode
    db.session.commit()
    person = new_user(client, shop)
    assert f'data-mode="{mode}"' in client.get(f"/sandbox/phone?m={shop.slug}").get_data(as_text=True)
    send(client, shop, action="subscribe")
    reply = next(row for row in sbx.chat(db.session, shop.wechat_app_id, person.user_key)
                 if row.payload.get("from") == "account")
    assert reply.payload["mode"] == mode and "欢迎光临测试咖啡" in reply.payload["reply"]["Content"]
    assert fan_of(db, person).subscribed


def test_does_a_text_get_the_keyword_reply_in_the_chat(client, shop, db):
    db.session.add(KeywordReply(merchant_id=shop.id, keyword="地址", match="contains", reply_text="人民广场 1 号"))
    db.session.commit()
    new_user(client, shop)
    send(client, shop, action="text", text="请问地址在哪")
    page = phone(client, shop)
    assert "请问地址在哪" in page and "人民广场 1 号" in page


def test_can_the_phone_tap_the_published_menu(client, shop, db):
    client_for(db.session.get(Merchant, shop.id)).menu.create({"button": [
        {"type": "click", "name": "营业时间", "key": "HOURS"},
        {"name": "更多", "sub_button": [{"type": "view", "name": "官网", "url": "https://example.com/"}]}]})
    settings_for(db.session, shop.id).menu = [
        {"name": "营业时间", "type": "click", "key": "HOURS", "reply": "每天 8:00-22:00"}]
    db.session.commit()
    new_user(client, shop)
    page = phone(client, shop)
    assert "营业时间" in page and "官网" in page
    send(client, shop, action="click", key="HOURS", name="营业时间")
    assert "每天 8:00-22:00" in phone(client, shop)
    opened = send(client, shop, action="view", url="https://example.com/", name="官网")
    assert opened.location == "https://example.com/"


def test_does_scanning_a_qr_code_follow_with_its_scene(client, shop, db):
    ticket = client_for(db.session.get(Merchant, shop.id)).qrcode.create(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "store_7"}}})
    person = new_user(client, shop)
    qr = client.get(urlsplit(ticket["url"]).path)
    assert "scan=store_7" in qr.location
    assert "store_7" in phone(client, shop)
    send(client, shop, action="scan", scene="store_7")
    assert fan_of(db, person).qr_scene == "store_7"
    assert sbx.follow_state(db.session, shop.wechat_app_id, person.user_key)["subscribed"] is True


def test_does_the_chat_show_what_the_account_pushed(client, shop, db):
    person = new_user(client, shop)
    client_for(db.session.get(Merchant, shop.id)).message.send_text(person.user_key, "您的咖啡好了")
    client_for(db.session.get(Merchant, shop.id)).message.send_template(
        person.user_key, "TPL1", {"first": {"value": "积分到账"}, "keyword1": {"value": "+20"}})
    page = phone(client, shop)
    assert "您的咖啡好了" in page and "积分到账" in page and "模板消息" in page


def test_does_the_alipay_section_open_the_member_page_as_an_alipay_user(client, shop, db):
    shop = db.session.get(Merchant, shop.id)
    shop.alipay_app_id = "2021000000000099"
    db.session.commit()
    response = client.post("/sandbox/phone/alipay/user", data={"m": shop.slug, "action": "create", "nickname": "阿支"})
    assert response.status_code == 302 and response.location == f"/h5/{shop.slug}/"
    user_id = client.get_cookie("sandbox_alipay_user").value
    assert re.fullmatch(r"2088\d{12}", user_id) and client.get_cookie("sandbox_client").value == "alipay"
    assert "阿支" in phone(client, shop)


# --- the sandbox's WeChat login page ---------------------------------------------------------------------------

def authorize_url(shop, live_server, scope="snsapi_base"):
    return (f"/sandbox/wechat/open/connect/oauth2/authorize?appid={shop.wechat_app_id}"
            f"&redirect_uri={live_server}/h5/{shop.slug}/auth&response_type=code&scope={scope}&state=abc")


def test_does_the_login_page_ask_who_when_the_phone_has_no_user(client, shop, live_server):
    page = client.get(authorize_url(shop, live_server))
    assert page.status_code == 200 and "选择微信用户" in text_of(page)
    response = client.post(authorize_url(shop, live_server), data={"action": "create", "nickname": "新朋友"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.location).query)
    assert query["state"] == ["abc"] and len(query["code"][0]) > 20
    assert response.location.startswith(f"{live_server}/h5/{shop.slug}/auth?")


def test_does_userinfo_login_ask_for_consent_first(client, shop, live_server):
    person = new_user(client, shop, "同意者")
    page = client.get(authorize_url(shop, live_server, "snsapi_userinfo"))
    assert page.status_code == 200 and "允许" in text_of(page) and "同意者" in text_of(page)
    allowed = client.post(authorize_url(shop, live_server, "snsapi_userinfo"), data={"action": "allow"})
    assert allowed.status_code == 302 and "code=" in allowed.location
    assert person.user_key


def test_is_an_unknown_appid_refused_on_the_login_page(client, shop, live_server):
    response = client.get(authorize_url(shop, live_server).replace(shop.wechat_app_id, "wxunknown"))
    assert response.status_code == 400 and "appid" in text_of(response)
