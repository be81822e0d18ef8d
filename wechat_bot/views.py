"""GET/POST /wechat/<merchant_slug>/callback: the one view around the handler registry.

Order matters: find the merchant (404), verify the signature and the timestamp, and that the message is of the
kind the merchant's message mode sends (403, nothing read or written beyond the merchant), then refuse a replay,
decrypt (safe and compatible mode), de-duplicate, handle, commit once, reply (encrypted when the message was).
"""
import logging
import secrets
import time

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from wechatpy import parse_message

from extensions import db
from jobs.base import enqueue
from models import Merchant
from services.wechat import crypto as wechat_crypto, inbound as wechat_inbound, replays as wechat_replays
from services.wechat.crypto import CallbackRefused
from wechat_bot.context import BotContext
from wechat_bot.handlers import bot
import xmltodict
from web import redis_client

log = logging.getLogger(__name__)
blueprint = Blueprint("wechat_bot", __name__)


@blueprint.route("/wechat/<merchant_slug>/callback", methods=["GET", "POST"])
def callback(merchant_slug):
    merchant = db.session.scalars(select(Merchant).where(Merchant.slug == merchant_slug.lower())).one_or_none()
    if merchant is None:
        abort(404)
    try:
        wechat_crypto.verify_query(merchant.wechat_token, request.args)
        if request.method == "GET":
            return Response(request.args.get("echostr", ""), mimetype="text/plain")
        # Before the replay check, so a message of the wrong kind leaves nothing behind, not even its nonce.
        wechat_crypto.check_message_mode(merchant.wechat_message_mode, _encrypted())
        wechat_replays.refuse_replay(db.session, merchant.id, request.args.get("timestamp", ""),
                                     request.args.get("nonce", ""), request.get_data(), redis_client.shared())
        xml, aes_key = _plain_body(merchant)
    except CallbackRefused as exc:
        log.warning("wechat callback refused for %s: %s", merchant_slug, exc)
        abort(403)
    try:
        message = parse_message(xml)
    except Exception:  # noqa: BLE001 - malformed XML from a signed sender: a bad request, not a crash
        abort(400)
    if message is None:
        abort(400)
    ctx = BotContext(db.session, merchant, current_app.config["PUBLIC_BASE_URL"], enqueue)
    reply = wechat_inbound.receive(db.session, merchant.id, message, lambda: bot.dispatch(message, ctx))
    return _answer(merchant, reply, aes_key)




def _encrypted():
    """WeChat marks an encrypted (safe or compatible mode) message in the URL."""
    return request.args.get("encrypt_type", "raw") == "aes"


def _plain_body(merchant):
    """The message XML and, in safe mode, the EncodingAESKey that opened it (to encrypt the reply)."""
    body = request.get_data(as_text=True)
    if not _encrypted():
        return body, None
    keys = wechat_crypto.aes_keys(merchant.wechat_aes_key)
    if not keys:
        raise CallbackRefused("safe mode without an EncodingAESKey")
    try:
        encrypted = xmltodict.parse(body)["xml"]["Encrypt"]
    except Exception:  # noqa: BLE001 - not the envelope WeChat sends
        raise CallbackRefused("no Encrypt element") from None
    args = request.args
    return wechat_crypto.decrypt(merchant.wechat_token, keys, merchant.wechat_app_id or "", encrypted,
                                 args.get("msg_signature"), args.get("timestamp", ""), args.get("nonce", ""))


def _answer(merchant, reply_xml, aes_key):
    if not reply_xml:
        return Response("success", mimetype="text/plain")
    if aes_key is not None:
        reply_xml = wechat_crypto.encrypt(merchant.wechat_token, aes_key, merchant.wechat_app_id or "", reply_xml,
                                          secrets.token_hex(5), int(time.time()))
    return Response(reply_xml, mimetype="application/xml")
