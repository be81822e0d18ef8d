"""The sandbox plays WeChat's API for the app's own wechatpy clients, over real HTTP."""
import threading

import pytest
import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException

from channels.wechat import client_for, oauth_for
from extensions import db as database
from models import SandboxMassRecipient
from sandbox import wechat_state as sbx
from tests.connection_budget import many_connections

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxsandboxapi0001", SECRET, "tok123"
    db.session.commit()
    return merchant


@pytest.fixture()
def person(shop, db):
    row = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小王")
    db.session.commit()
    return row


def issued(db, app_id, kind="access_token"):
    db.session.expire_all()
    return sbx.count_issued(db.session, kind, app_id)


def api_get(base, path, **params):
    return requests.get(f"{base}/sandbox/wechat/api/{path}", params=params, timeout=5).json()


# --- credentials ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("appid, secret, errcode", [("wxnobody", SECRET, 40013), ("wxsandboxapi0001", "wrong", 40125)],
                         ids=["unknown appid", "wrong secret"])
def test_is_a_token_refused_for_wrong_credentials(shop, live_server, appid, secret, errcode):
    answer = api_get(live_server, "cgi-bin/token", grant_type="client_credential", appid=appid, secret=secret)
    assert answer["errcode"] == errcode and "access_token" not in answer


def test_does_every_api_call_need_a_live_access_token(shop, live_server):
    assert api_get(live_server, "cgi-bin/ticket/getticket", access_token="forged", type="jsapi")["errcode"] == 40001
    assert api_get(live_server, "cgi-bin/ticket/getticket", type="jsapi")["errcode"] == 41001


def test_is_an_expired_access_token_refused_with_42001(shop, live_server, db):
    from datetime import timedelta

    grant = sbx.issue(db.session, "access_token", shop.wechat_app_id, ttl=timedelta(seconds=-1))
    db.session.commit()
    answer = api_get(live_server, "cgi-bin/user/info", access_token=grant.value, openid="x")
    assert answer["errcode"] == 42001


def test_is_the_access_token_fetched_once_across_many_calls(shop, person, db):
    client = client_for(shop)
    for _ in range(5):
        client.message.send_text(person.user_key, "您好")
    assert client.jsapi.get_jsapi_ticket()
    assert client_for(shop).user.get(person.user_key)["openid"] == person.user_key
    assert issued(db, shop.wechat_app_id) == 1
    assert len(sbx.outbox(db.session, "custom", shop.wechat_app_id, person.user_key)) == 5


def test_do_ten_threads_share_one_access_token(app, shop, person, db):
    barrier, errors = threading.Barrier(10), []
    merchant_id, openid = shop.id, person.user_key

    def call(index):
        with app.app_context():
            try:
                merchant = database.session.get(type(shop), merchant_id)
                barrier.wait(30)
                client_for(merchant).message.send_text(openid, f"第 {index} 条")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(10)]
    with many_connections(count=len(threads)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert issued(db, shop.wechat_app_id) == 1
    assert len(sbx.outbox(db.session, "custom", shop.wechat_app_id, person.user_key)) == 10


def test_does_a_redis_token_store_also_refresh_once_for_ten_threads(app, shop, person, db, redis_url):
    from redis import Redis

    from channels.tokens import RedisTokenStorage
    from channels.wechat import SharedTokenClient

    storage = RedisTokenStorage(Redis.from_url(redis_url))
    base = app.config["WECHAT_API_BASE"] + "cgi-bin/"
    barrier, errors = threading.Barrier(10), []
    app_id, openid = shop.wechat_app_id, person.user_key

    def call():
        try:
            barrier.wait(30)
            SharedTokenClient(app_id, SECRET, base, storage).message.send_text(openid, "hi")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(10)]
    with many_connections(count=len(threads)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == [] and issued(db, shop.wechat_app_id) == 1


# --- what the app sends ---------------------------------------------------------------------------------------

def test_does_the_sandbox_keep_template_custom_and_mass_messages(shop, person, db):
    client = client_for(shop)
    sent = client.message.send_template(person.user_key, "TPL_POINTS", {"first": {"value": "积分变动"}},
                                        url="http://127.0.0.1/h5/tea/")
    client.message.send_mass_text([person.user_key, "oAnother"], "周末八折")
    client.message.send_mass_text(None, "全体会员日", is_to_all=True)
    assert sent["errcode"] == 0 and sent["msgid"]
    template = sbx.outbox(db.session, "template", shop.wechat_app_id, person.user_key)[0]
    assert template.payload["template_id"] == "TPL_POINTS"
    recipients = db.session.scalars(select(SandboxMassRecipient.openid).order_by(SandboxMassRecipient.id)).all()
    assert recipients == [person.user_key, "oAnother"]  # the message to everybody has no recipient rows
    assert [m.kind for m in sbx.chat(db.session, shop.wechat_app_id, person.user_key)] == ["template", "mass", "mass"]


def test_does_menu_create_keep_the_menu_and_refuse_a_bad_one(shop, db):
    client = client_for(shop)
    client.menu.create({"button": [{"type": "click", "name": "联系我们", "key": "CONTACT"}]})
    assert sbx.published_menu(db.session, shop.wechat_app_id) == [{"type": "click", "name": "联系我们", "key": "CONTACT"}]
    with pytest.raises(WeChatClientException) as refused:
        client.menu.create({"button": [{"type": "click", "name": f"菜单{i}", "key": f"K{i}"} for i in range(4)]})
    assert refused.value.errcode == 40016


@pytest.mark.parametrize("payload, permanent", [
    ({"expire_seconds": 600, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 42}}}, False),
    ({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "store_1"}}}, True),
], ids=["temporary", "permanent"])
def test_does_a_parametric_qr_code_get_a_ticket_and_a_url(shop, db, payload, permanent):
    answer = client_for(shop).qrcode.create(payload)
    assert answer["ticket"] and "/sandbox/phone/qr/" in answer["url"]
    assert ("expire_seconds" in answer) is not permanent


# --- web login --------------------------------------------------------------------------------------------------

def _authorize(live_server, shop, person, scope):
    oauth = oauth_for(shop, f"{live_server}/h5/tea/login", scope=scope, state="s1")
    session = requests.Session()
    session.cookies.set("sandbox_wechat_user", str(person.id))
    data = {"action": "allow"} if scope == "snsapi_userinfo" else None
    url = oauth.authorize_url.split("#")[0]
    response = session.post(url, data=data, allow_redirects=False) if data else session.get(url, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(f"{live_server}/h5/tea/login?") and "state=s1" in location
    return oauth, location.split("code=")[1].split("&")[0]


def test_is_an_oauth_code_good_for_one_login_only(shop, person, live_server):
    oauth, code = _authorize(live_server, shop, person, "snsapi_base")
    assert oauth.fetch_access_token(code)["openid"] == person.user_key
    with pytest.raises(WeChatOAuthException) as reused:
        oauth_for(shop, f"{live_server}/h5/tea/login").fetch_access_token(code)
    assert reused.value.errcode == 40163


def test_does_userinfo_need_the_userinfo_scope(shop, person, live_server):
    oauth, code = _authorize(live_server, shop, person, "snsapi_base")
    oauth.fetch_access_token(code)
    with pytest.raises(WeChatOAuthException) as refused:
        oauth.get_user_info()
    assert refused.value.errcode == 48001
    oauth, code = _authorize(live_server, shop, person, "snsapi_userinfo")
    oauth.fetch_access_token(code)
    assert oauth.get_user_info()["nickname"] == "小王"


def test_is_a_code_refused_for_another_app(shop, person, live_server, make, db):
    other = make.merchant(slug="other", with_levels=False)
    other.wechat_app_id, other.wechat_app_secret = "wxotherapp000001", SECRET
    db.session.commit()
    _oauth, code = _authorize(live_server, shop, person, "snsapi_base")
    with pytest.raises(WeChatOAuthException) as refused:
        oauth_for(other, f"{live_server}/h5/other/").fetch_access_token(code)
    assert refused.value.errcode == 40029


def test_does_the_authorize_page_refuse_a_redirect_to_another_host(shop, person, live_server):
    oauth = oauth_for(shop, "https://evil.example.com/steal", scope="snsapi_base")
    response = requests.get(oauth.authorize_url.split("#")[0], cookies={"sandbox_wechat_user": str(person.id)},
                            allow_redirects=False, timeout=5)
    assert response.status_code == 400 and "redirect_uri" in response.text


@pytest.mark.parametrize("path, body", [
    ("cgi-bin/menu/create", b"not json"),
    ("cgi-bin/menu/create", b'{"button": ["not a button"]}'),
    ("cgi-bin/qrcode/create", b'{"action_name": "QR_SCENE", "expire_seconds": "soon", '
                              b'"action_info": {"scene": {"scene_id": 1}}}'),
    ("cgi-bin/message/mass/send", b'{"touser": [1, 2], "msgtype": "text"}'),
], ids=["not json", "button not an object", "expiry not a number", "openids not strings"])
def test_is_a_malformed_request_answered_with_a_wechat_error_not_a_crash(shop, live_server, db, path, body):
    token = sbx.issue(db.session, "access_token", shop.wechat_app_id).value
    db.session.commit()
    response = requests.post(f"{live_server}/sandbox/wechat/api/{path}", params={"access_token": token}, data=body,
                             timeout=5)
    assert response.status_code == 200 and response.json()["errcode"] in (47001, 40003)
