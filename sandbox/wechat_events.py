"""What WeChat's servers send to an official account's callback, built, signed and (safe mode) encrypted.

Used by the simulated phone, the tests and bench/callback.py. No Flask: give it the merchant's
credentials and the callback URL.
"""
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
import xmltodict

from services.wechat.crypto import decrypt, encrypt, sign


@dataclass(frozen=True)
class Account:
    """The official account as the sender knows it."""

    app_id: str
    token: str
    aes_key: str = ""  # the key WeChat currently encrypts with (safe and compatible mode)
    mode: str = ""  # 'plain', 'compatible' or 'safe'; '' means safe when there is a key, else plain

    @property
    def message_mode(self):
        if not self.aes_key:
            return "plain"
        return self.mode or "safe"

    @property
    def original_id(self):
        """The account's gh_ id (ToUserName); the sandbox derives one from the app id."""
        return "gh_" + hashlib.sha1(self.app_id.encode()).hexdigest()[:12]


@dataclass
class Delivery:
    status: int
    reply_xml: str  # plain reply XML ('' when the account said "success" or nothing)
    reply: dict  # the reply's fields (Content, MsgType...), {} when none
    elapsed_ms: float


def _cdata(value):
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml(fields):
    parts = []
    for name, value in fields.items():
        if value is None:
            continue
        text = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def event_xml(account, openid, event, key=None, created=None):
    """subscribe (key 'qrscene_<scene>' through a QR code), unsubscribe, SCAN, CLICK, VIEW."""
    return _xml({"ToUserName": account.original_id, "FromUserName": openid,
                 "CreateTime": int(created or time.time()), "MsgType": "event", "Event": event, "EventKey": key})


def card_event_xml(account, openid, event, card_id, code, created=None, **fields):
    """The card package's events: user_get_card (fields IsGiveByFriend, OuterStr, IsRestoreMemberCard...),
    user_del_card, user_view_card, update_member_card (ModifyBonus, ModifyBalance), submit_membercard_user_info."""
    return _xml({"ToUserName": account.original_id, "FromUserName": openid, "CreateTime": int(created or time.time()),
                 "MsgType": "event", "Event": event, "CardId": card_id, "UserCardCode": code, **fields})


def text_xml(account, openid, content, msg_id=None, created=None):
    return _xml({"ToUserName": account.original_id, "FromUserName": openid, "CreateTime": int(created or time.time()),
                 "MsgType": "text", "Content": content, "MsgId": int(msg_id or secrets.randbits(62))})


def mass_finish_xml(account, msg_id, total, filter_count, sent, errors, created=None):
    """MASSSENDJOBFINISH: the result of a mass message, pushed by WeChat's own system account."""
    return _xml({"ToUserName": account.original_id, "FromUserName": account.original_id,
                 "CreateTime": int(created or time.time()), "MsgType": "event", "Event": "MASSSENDJOBFINISH",
                 "MsgID": int(msg_id), "Status": "send success", "TotalCount": int(total),
                 "FilterCount": int(filter_count), "SentCount": int(sent), "ErrorCount": int(errors)})


def signed_query(token, timestamp=None, nonce=None, **extra):
    timestamp, nonce = str(int(timestamp or time.time())), nonce or str(secrets.randbelow(10 ** 10))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def account_of(merchant):
    """The official account as WeChat knows it for this merchant: its credentials and its message mode (what
    WeChat sends: plain XML, the encrypted envelope, or in compatible mode both in one body)."""
    keys = [key.strip() for key in (merchant.wechat_aes_key or "").split(",") if key.strip()]
    mode = merchant.wechat_message_mode or "compatible"
    aes_key = keys[0] if keys and mode != "plain" else ""
    return Account(merchant.wechat_app_id or "", merchant.wechat_token or "", aes_key, mode)


def envelope(account, xml, timestamp=None, nonce=None):
    """(query, body) of a callback POST as WeChat sends it in the account's message mode: plain XML; in safe mode
    only the encrypted envelope; in compatible mode the plain fields and the envelope together."""
    query = signed_query(account.token, timestamp, nonce)
    if account.message_mode == "plain":
        return query, xml
    sealed = xmltodict.parse(encrypt(account.token, account.aes_key, account.app_id, xml,
                                     query["nonce"], query["timestamp"]))["xml"]
    fields = {"ToUserName": account.original_id, "Encrypt": sealed["Encrypt"]}
    if account.message_mode == "compatible":
        fields = {**xmltodict.parse(xml)["xml"], "Encrypt": sealed["Encrypt"]}
    query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
    return query, _xml(fields)


def callback_url(base_url, merchant_slug, query=None):
    url = f"{base_url.rstrip('/')}/wechat/{merchant_slug}/callback"
    return f"{url}?{urlencode(query)}" if query else url


def deliver(base_url, merchant_slug, account, xml, http=requests, timeout=5):
    """POST one message to the callback, as WeChat would, and read (decrypt) the reply."""
    query, body = envelope(account, xml)
    started = time.perf_counter()
    response = http.post(callback_url(base_url, merchant_slug, query), data=body.encode(),
                         headers={"Content-Type": "text/xml"}, timeout=timeout)
    elapsed = (time.perf_counter() - started) * 1000
    reply_xml = read_reply(account, response.text) if response.status_code == 200 else ""
    return Delivery(response.status_code, reply_xml, parse_reply(reply_xml), elapsed)


def read_reply(account, text):
    text = (text or "").strip()
    if not text or text == "success" or not text.startswith("<"):
        return ""
    fields = xmltodict.parse(text)["xml"]
    if "Encrypt" not in fields:
        return text
    plain, _key = decrypt(account.token, [account.aes_key], account.app_id, fields["Encrypt"],
                          fields.get("MsgSignature"), fields.get("TimeStamp", ""), fields.get("Nonce", ""))
    return plain


def parse_reply(reply_xml):
    return dict(xmltodict.parse(reply_xml)["xml"]) if reply_xml else {}
