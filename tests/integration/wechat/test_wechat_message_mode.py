"""The official account's message mode at the callback, over real HTTP: safe mode takes encrypted messages only,
plain mode plain ones only, compatible mode both; a message of the wrong kind is refused before anything is done."""
import pytest
import requests
import xmltodict
from sqlalchemy import func, select

from models import Fan, WechatInbound
from sandbox import wechat_events as events
from services.wechat.settings import settings_for

TOKEN, AES_KEY = "modetoken", "d" * 42 + "D"
OPENID = "oMode000000000000000000000001"


@pytest.fixture()
def shop(make, db):
    def with_mode(mode):
        merchant = make.merchant(slug="modecafe", with_levels=False)
        merchant.wechat_app_id, merchant.wechat_app_secret = "wx0123456789abcdef", "s" * 32
        merchant.wechat_token, merchant.wechat_aes_key, merchant.wechat_message_mode = TOKEN, AES_KEY, mode
        settings_for(db.session, merchant.id).welcome_text = "欢迎关注"
        db.session.commit()
        return merchant

    return with_mode


def count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def post(base, query, body):
    return requests.post(events.callback_url(base, "modecafe", query), data=body.encode(),
                         headers={"Content-Type": "text/xml"}, timeout=10)


def follow(account):
    return events.event_xml(account, OPENID, "subscribe")


def test_is_a_correctly_signed_plain_message_to_a_safe_mode_merchant_refused_and_nothing_done(shop, live_server, db):
    merchant = shop("safe")
    plain = events.Account(merchant.wechat_app_id, TOKEN)
    query, body = events.envelope(plain, follow(plain))
    assert "encrypt_type" not in query  # the signature is right: only the mode is wrong
    response = post(live_server, query, body)
    assert response.status_code == 403
    assert count(db, Fan) == 0 and count(db, WechatInbound) == 0


def test_is_a_stripped_encrypted_delivery_refused_while_wechats_own_still_goes_through(shop, live_server, db):
    """The finding: a captured safe-mode URL with encrypt_type and msg_signature dropped and plain XML as the body.
    Refused before its nonce is remembered, so WeChat's genuine delivery of that URL is still answered."""
    merchant = shop("safe")
    account = events.account_of(merchant)
    xml = follow(account)
    query, sealed_body = events.envelope(account, xml)
    stripped = {key: value for key, value in query.items() if key not in ("encrypt_type", "msg_signature")}
    assert post(live_server, stripped, xml).status_code == 403
    assert count(db, Fan) == 0
    genuine = post(live_server, query, sealed_body)
    assert genuine.status_code == 200 and "<Encrypt>" in genuine.text  # the reply goes out encrypted
    reply = xmltodict.parse(events.read_reply(account, genuine.text))["xml"]
    assert "欢迎关注" in reply["Content"] and count(db, Fan) == 1


def test_does_a_safe_mode_merchant_accept_an_encrypted_message(shop, live_server, db):
    merchant = shop("safe")
    account = events.account_of(merchant)
    assert account.message_mode == "safe"
    delivery = events.deliver(live_server, "modecafe", account, follow(account))
    assert delivery.status == 200 and "欢迎关注" in delivery.reply["Content"]
    assert db.session.scalars(select(Fan)).one().subscribed


def test_does_a_plain_mode_merchant_refuse_an_encrypted_message(shop, live_server, db):
    merchant = shop("plain")
    sealed = events.Account(merchant.wechat_app_id, TOKEN, AES_KEY, "safe")
    assert events.deliver(live_server, "modecafe", sealed, follow(sealed)).status == 403
    assert count(db, Fan) == 0 and count(db, WechatInbound) == 0
    plain = events.account_of(merchant)
    assert plain.message_mode == "plain"
    assert events.deliver(live_server, "modecafe", plain, follow(plain)).status == 200
    assert count(db, Fan) == 1


@pytest.mark.parametrize("sent_as", ["plain", "safe", "compatible"])
def test_does_a_compatible_mode_merchant_accept_both(shop, live_server, db, sent_as):
    merchant = shop("compatible")
    account = events.Account(merchant.wechat_app_id, TOKEN, "" if sent_as == "plain" else AES_KEY, sent_as)
    delivery = events.deliver(live_server, "modecafe", account, follow(account))
    assert delivery.status == 200 and "欢迎关注" in delivery.reply["Content"]
    assert count(db, Fan) == 1


def test_does_the_compatible_envelope_carry_the_plain_fields_and_the_ciphertext():
    account = events.Account("wx0123456789abcdef", TOKEN, AES_KEY, "compatible")
    query, body = events.envelope(account, events.text_xml(account, OPENID, "你好"))
    fields = xmltodict.parse(body)["xml"]
    assert query["encrypt_type"] == "aes" and query["msg_signature"]
    assert fields["Content"] == "你好" and fields["Encrypt"]
