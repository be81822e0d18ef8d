"""What every payment notification goes through before its channel's service verifies it: the body read (16 KB
at most, whatever Content-Length claims), the merchant its URL names, and the merchant's rate limit.

Anyone can post to these URLs, so only a notification whose signature verifies is kept in full
(PaymentNotification). Everything refused on the way (a slug naming no merchant, a merchant over
NOTIFY_RATE_PER_MINUTE, a body too large, one that does not verify, a crash before it did) is counted by
services.orders.notification_rejects: one counter per merchant, day, endpoint and reason with one 512-byte sample,
which the back office shows (支付通知). Every refusal is answered FAIL / "failure", so a genuine notification
refused here is sent again by its channel.
"""
import logging

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from channels import alipay_trades, wechat_pay
from domain.errors import NotFound
from extensions import db
from services.merchant import merchants
from services.orders import notification_rates, notification_rejects
from web import boundary, redis_client

MAX_BODY_BYTES = min(wechat_pay.MAX_XML_BYTES, alipay_trades.MAX_NOTIFICATION_BYTES)  # 16 KB; real ones ~1.5 KB
log = logging.getLogger(__name__)


def read_body():
    """The body, or None when it is larger than MAX_BODY_BYTES: never more than that plus one byte is read."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    try:
        body = request.stream.read(MAX_BODY_BYTES + 1)
    except RequestEntityTooLarge:
        return None
    return None if len(body) > MAX_BODY_BYTES else body


def admitted(merchant_slug, endpoint, body):
    """The merchant whose notification `body` may now be verified, its slot of the minute counted but not yet
    committed (the caller commits it with the refusal, or before processing a verified notification, so that junk
    costs one commit and no row lock is held while a payment is processed); None when it is refused here
    (counted and committed)."""
    try:
        merchant = merchants.by_slug(db.session, merchant_slug[:64])
    except NotFound:
        refuse(None, endpoint, "unknown_merchant", f"slug {merchant_slug[:60]}", body)
        return None
    within = notification_rates.take_slot(db.session, merchant.id, current_app.config["NOTIFY_RATE_PER_MINUTE"],
                                          redis_client.shared())
    if not within:
        refuse(merchant, endpoint, "rate_limited", "每分钟通知数超过上限", body)
        return None
    if body is None:
        refuse(merchant, endpoint, "too_large", f"报文超过 {MAX_BODY_BYTES // 1024} KB", None)
        return None
    return merchant


def refuse(merchant, endpoint, reason, detail, body):
    """Count a notification refused unverified (merchant None: the unknown merchants' bucket) and commit."""
    try:
        log.warning("%s notification refused for %s: %s %s", endpoint, merchant.slug if merchant else "?", reason,
                    (detail or "")[:80])
        notification_rejects.count(db.session, merchant, endpoint, reason, detail, body)
        boundary.commit_now()
    except Exception:  # noqa: BLE001 - the channel must still get its FAIL, never a 500
        db.session.rollback()
        log.exception("could not count a refused %s notification", endpoint)
