"""The official-account callback over real HTTP: who may call it, what happens once, what it answers.

Signature and encryption vectors are the ones in WeChat's documentation as used by wechatpy's own
tests; every other message is signed (and encrypted) by the test with sandbox/wechat_events.
"""
import functools
import threading
from datetime import datetime, timezone

import pytest
import requests
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from jobs import base as jobs_base
from models import Fan, KeywordReply, WechatInbound
from sandbox import wechat_events as events, wechat_state as wechat_sandbox
from services.wechat import crypto as wechat_crypto
from services.wechat.settings import settings_for

TOKEN, AES_KEY, OLD_AES_KEY = "callbacktoken", "a" * 42 + "A", "b" * 42 + "B"
# WeChat's documented example (wechatpy tests/test_utils.py): token, timestamp, nonce -> signature.
DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE = "test", "1410685589", "test"
DOC_SIGNATURE = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
# WeChat's documented safe-mode example (wechatpy tests/test_crypto.py): an encrypted text message.
VEC_TOKEN, VEC_KEY, VEC_APP_ID = "123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
VEC_TIMESTAMP, VEC_NONCE, VEC_MSG_SIGNATURE = "1411525903", "461056294", "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
VEC_ENCRYPT = ("RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXz"
               "F6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gY"
               "Nx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2S"
               "jHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En74"
               "9zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=")


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="cafe", name="街角咖啡", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret = "wxcallbacktest01", "s" * 32
    merchant.wechat_token, merchant.wechat_aes_key = TOKEN, f"{AES_KEY},{OLD_AES_KEY}"
    settings = settings_for(db.session, merchant.id)
    settings.welcome_text, settings.default_reply = "欢迎光临街角咖啡", "收到，稍后回复您"
    db.session.commit()
    return merchant


@pytest.fixture()
def base(live_server):
    return live_server


@pytest.fixture()
def profile_syncs(monkeypatch):
    """Counts the follow's profile-sync job (it runs inline, after the commit, without Redis)."""
    name = "jobs.wechat.sync_fan_profile"
    import jobs.wechat  # noqa: F401

    original, calls = jobs_base.REGISTRY[name], []

    @functools.wraps(original)  # keeps the job's registered queue and name, which the dispatcher reads
    def counted(session, *args):
        calls.append(args)
        return original(session, *args)

    monkeypatch.setitem(jobs_base.REGISTRY, name, counted)
    return calls


def deliver_at_once(base, account, xml, copies):
    """The same message delivered by `copies` threads at the same moment, as WeChat's retries can arrive."""
    barrier, results = threading.Barrier(copies), []

    def send():
        barrier.wait(30)
        results.append(events.deliver(base, "cafe", account, xml, timeout=20))

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def plain(shop):
    return events.Account(shop.wechat_app_id, TOKEN)


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text_of(delivery):
    return delivery.reply.get("Content", "")


# --- who may call ------------------------------------------------------------------------------------------

def test_does_our_signature_check_accept_wechats_documented_example():
    assert wechat_crypto.signature_matches(DOC_SIGNATURE, DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE)
    assert not wechat_crypto.signature_matches(DOC_SIGNATURE[:-1] + "e", DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE)
    assert not wechat_crypto.signature_matches(None, DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE)


def test_does_our_decryption_open_wechats_documented_safe_mode_example():
    xml, key = wechat_crypto.decrypt(VEC_TOKEN, ["x" * 43, VEC_KEY], VEC_APP_ID, VEC_ENCRYPT, VEC_MSG_SIGNATURE,
                                     VEC_TIMESTAMP, VEC_NONCE)
    message = xmltodict.parse(xml)["xml"]
    assert (message["FromUserName"], message["Content"], key) == ("messense", "test", VEC_KEY)
    with pytest.raises(wechat_crypto.CallbackRefused):
        wechat_crypto.decrypt(VEC_TOKEN, [VEC_KEY], VEC_APP_ID, VEC_ENCRYPT, "0" * 40, VEC_TIMESTAMP, VEC_NONCE)


def test_does_the_callback_answer_wechats_echostr_check(shop, base):
    query = events.signed_query(TOKEN, echostr="hello-wechat")
    response = requests.get(events.callback_url(base, "cafe", query), timeout=5)
    assert (response.status_code, response.text) == (200, "hello-wechat")


def test_is_a_forged_signature_refused_with_403_and_nothing_written(shop, base, db):
    query = events.signed_query("not-the-token")
    xml = events.event_xml(plain(shop), "oForgedUser000000000000000001", "subscribe")
    response = requests.post(events.callback_url(base, "cafe", query), data=xml.encode(), timeout=5)
    get = requests.get(events.callback_url(base, "cafe", {**query, "echostr": "x"}), timeout=5)
    assert (response.status_code, get.status_code) == (403, 403)
    assert count(db, Fan) == 0 and count(db, WechatInbound) == 0


def test_is_a_callback_without_any_signature_refused(shop, base, db):
    response = requests.post(events.callback_url(base, "cafe"), data=b"<xml></xml>", timeout=5)
    assert response.status_code == 403 and count(db, WechatInbound) == 0


def test_is_a_correctly_signed_but_stale_callback_refused(shop, base, db):
    import time

    xml = events.event_xml(plain(shop), "oStaleUser0000000000000000001", "subscribe")
    query = events.signed_query(TOKEN, timestamp=int(time.time()) - 301)
    response = requests.post(events.callback_url(base, "cafe", query), data=xml.encode(), timeout=5)
    assert response.status_code == 403 and count(db, Fan) == 0


def test_is_an_unknown_merchant_a_404(base, db):
    response = requests.get(events.callback_url(base, "nobody", events.signed_query(TOKEN, echostr="x")), timeout=5)
    assert response.status_code == 404


# --- once, whatever the retries --------------------------------------------------------------------------------

def test_does_a_follow_record_the_fan_and_reply_with_the_welcome_and_the_card_link(shop, base, db):
    openid = "oFollower00000000000000000001"
    delivery = events.deliver(base, "cafe", plain(shop), events.event_xml(plain(shop), openid, "subscribe"))
    assert delivery.status == 200
    assert delivery.reply["MsgType"] == "text" and delivery.reply["ToUserName"] == openid
    assert "欢迎光临街角咖啡" in text_of(delivery) and f'href="{base}/h5/cafe/"' in text_of(delivery)
    fan = db.session.scalars(select(Fan)).one()
    assert (fan.openid, fan.subscribed, fan.app_id) == (openid, True, shop.wechat_app_id)
    assert fan.subscribed_at is not None


def test_does_a_replayed_message_get_the_same_reply_and_take_effect_once(shop, base, db):
    xml = events.text_xml(plain(shop), "oReplay000000000000000000001", "你好", msg_id=987654321)
    first = events.deliver(base, "cafe", plain(shop), xml)
    again = events.deliver(base, "cafe", plain(shop), xml)
    assert first.status == again.status == 200
    assert first.reply_xml == again.reply_xml and text_of(first) == "收到，稍后回复您"
    assert count(db, WechatInbound) == 1


def test_do_three_concurrent_deliveries_of_one_follow_make_one_fan_one_welcome_one_job(shop, base, db,
                                                                                     profile_syncs):
    person = wechat_sandbox.create_wechat_user(db.session, shop.wechat_app_id, "并发用户")
    db.session.commit()
    xml = events.event_xml(plain(shop), person.user_key, "subscribe")
    results = deliver_at_once(base, plain(shop), xml, copies=3)
    assert [r.status for r in results] == [200, 200, 200]
    assert len({r.reply_xml for r in results}) == 1 and "欢迎光临街角咖啡" in text_of(results[0])
    assert count(db, Fan) == 1 and count(db, WechatInbound) == 1
    assert len(profile_syncs) == 1
    assert db.session.scalars(select(Fan)).one().unionid == person.unionid  # the job asked the API


def test_do_follow_events_at_different_times_both_count(shop, base, db):
    account, openid = plain(shop), "oRefollow0000000000000000001"
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "subscribe", created=1_700_000_000))
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "unsubscribe", created=1_700_000_100))
    assert count(db, WechatInbound) == 2 and db.session.scalars(select(Fan)).one().subscribed is False


# --- safe mode -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [AES_KEY, OLD_AES_KEY], ids=["current key", "previous key"])
def test_does_safe_mode_work_with_the_current_and_the_previous_aes_key(shop, base, db, key):
    account = events.Account(shop.wechat_app_id, TOKEN, key)
    delivery = events.deliver(base, "cafe", account, events.text_xml(account, "oSafe00000000000000000000001", "hi"))
    assert delivery.status == 200 and text_of(delivery) == "收到，稍后回复您"  # the reply decrypted with `key`
    assert count(db, WechatInbound) == 1


def test_is_a_safe_mode_message_under_an_unknown_key_refused(shop, base, db):
    account = events.Account(shop.wechat_app_id, TOKEN, "c" * 42 + "C")
    delivery = events.deliver(base, "cafe", account, events.text_xml(account, "oSafe00000000000000000000002", "hi"))
    assert delivery.status == 403 and count(db, WechatInbound) == 0


def test_is_a_tampered_safe_mode_body_refused(shop, base, db):
    account = events.Account(shop.wechat_app_id, TOKEN, AES_KEY)
    query, _body = events.envelope(account, events.text_xml(account, "oSafe00000000000000000000003", "hi"))
    _other_query, other_body = events.envelope(account, events.text_xml(account, "oSafe00000000000000000000003", "x"))
    response = requests.post(events.callback_url(base, "cafe", query), data=other_body.encode(), timeout=5)
    assert response.status_code == 403 and count(db, WechatInbound) == 0


def test_does_the_callback_open_wechats_documented_encrypted_message(make, db, base, monkeypatch):
    merchant = make.merchant(slug="docvector", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_token, merchant.wechat_aes_key = VEC_APP_ID, VEC_TOKEN, VEC_KEY
    settings_for(db.session, merchant.id).default_reply = "文档示例已收到"
    db.session.commit()
    sent_at = datetime.fromtimestamp(int(VEC_TIMESTAMP), timezone.utc)
    monkeypatch.setattr(wechat_crypto, "now_utc", lambda: sent_at)  # the example is from 2014
    query = {"signature": wechat_crypto.sign(VEC_TOKEN, VEC_TIMESTAMP, VEC_NONCE), "timestamp": VEC_TIMESTAMP,
             "nonce": VEC_NONCE, "encrypt_type": "aes", "msg_signature": VEC_MSG_SIGNATURE}
    body = f"<xml><ToUserName><![CDATA[{VEC_APP_ID}]]></ToUserName><Encrypt><![CDATA[{VEC_ENCRYPT}]]></Encrypt></xml>"
    response = requests.post(events.callback_url(base, "docvector", query), data=body.encode(), timeout=5)
    assert response.status_code == 200
    sealed = xmltodict.parse(response.text)["xml"]
    reply = WeChatCrypto(VEC_TOKEN, VEC_KEY, VEC_APP_ID).decrypt_message(
        response.text, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"])
    reply = xmltodict.parse(reply)["xml"]
    assert (reply["ToUserName"], reply["Content"]) == ("messense", "文档示例已收到")
    inbound = db.session.scalars(select(WechatInbound)).one()
    assert inbound.dedupe_key == "msg:4363689963896700987"


# --- what the account says ---------------------------------------------------------------------------------------

@pytest.fixture()
def keywords(shop, db):
    db.session.add_all([
        KeywordReply(merchant_id=shop.id, keyword="会员", match="exact", reply_text="精确：会员卡在菜单里", position=5),
        KeywordReply(merchant_id=shop.id, keyword="会员", match="contains", reply_text="包含：会员", position=0),
        KeywordReply(merchant_id=shop.id, keyword="营业", match="contains", reply_text="每天 8:00-22:00", position=1),
        KeywordReply(merchant_id=shop.id, keyword="停用", match="exact", reply_text="不该出现", active=False),
    ])
    db.session.commit()


@pytest.mark.parametrize("text, expected", [
    ("会员", "精确：会员卡在菜单里"),
    ("我想办会员", "包含：会员"),
    ("请问营业时间？", "每天 8:00-22:00"),
    ("停用", "收到，稍后回复您"),
    ("随便说点什么", "收到，稍后回复您"),
], ids=["exact wins over contains", "contains", "contains by position", "inactive ignored", "default reply"])
def test_which_reply_does_a_text_get(shop, base, keywords, text, expected):
    account = plain(shop)
    delivery = events.deliver(base, "cafe", account, events.text_xml(account, "oKeyword000000000000000000001", text))
    assert text_of(delivery) == expected


def test_does_a_menu_click_get_the_reply_of_its_item_and_a_view_nothing(shop, base, db):
    settings_for(db.session, shop.id).menu = [
        {"name": "联系", "type": "click", "key": "CONTACT", "reply": "电话 021-1234"},
        {"name": "更多", "sub_button": [{"name": "官网", "type": "view", "url": "https://example.com/"},
                                       {"name": "地址", "type": "click", "key": "ADDR", "reply": "人民广场 1 号"}]}]
    db.session.commit()
    account, openid = plain(shop), "oMenu0000000000000000000000001"
    click = events.deliver(base, "cafe", account, events.event_xml(account, openid, "CLICK", "ADDR"))
    view = events.deliver(base, "cafe", account, events.event_xml(account, openid, "VIEW", "https://example.com/"))
    assert text_of(click) == "人民广场 1 号"
    assert (view.status, view.reply_xml) == (200, "")


def test_does_a_qr_follow_record_the_scene_and_a_later_scan_update_it(shop, base, db):
    account, openid = plain(shop), "oScene000000000000000000000001"
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "subscribe", "qrscene_store_1",
                                                           created=1_700_000_000))
    fan = db.session.scalars(select(Fan)).one()
    assert (fan.qr_scene, fan.subscribe_scene) == ("store_1", "ADD_SCENE_QR_CODE")
    scan = events.deliver(base, "cafe", account, events.event_xml(account, openid, "SCAN", "store_2",
                                                                  created=1_700_000_050))
    assert "欢迎光临" in text_of(scan) and "/h5/cafe/" in text_of(scan)
    db.session.expire_all()
    assert db.session.scalars(select(Fan)).one().qr_scene == "store_2"


def test_does_an_unfollow_mark_the_fan_and_say_nothing(shop, base, db):
    account, openid = plain(shop), "oLeaver00000000000000000000001"
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "subscribe", created=1_700_000_000))
    gone = events.deliver(base, "cafe", account, events.event_xml(account, openid, "unsubscribe",
                                                                  created=1_700_000_060))
    assert (gone.status, gone.reply_xml) == (200, "")
    db.session.expire_all()
    fan = db.session.scalars(select(Fan)).one()
    assert fan.subscribed is False and fan.unsubscribed_at is not None


def test_does_a_late_retry_of_an_older_follow_leave_a_newer_unfollow_alone(shop, base, db):
    account, openid = plain(shop), "oLateRetry000000000000000001"
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "subscribe", created=1_700_000_000))
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "unsubscribe", created=1_700_000_100))
    events.deliver(base, "cafe", account, events.event_xml(account, openid, "subscribe", created=1_700_000_050))
    db.session.expire_all()
    assert db.session.scalars(select(Fan)).one().subscribed is False
