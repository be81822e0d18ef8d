"""Replays of a signed callback URL: WeChat's signature covers the timestamp and nonce but not the body, so a
captured URL could carry any other body for the 5 minutes the timestamp is accepted. Each (timestamp, nonce) is
remembered with its body's hash for that window: the same URL with the same body is WeChat's own retry (handled
once by the message de-duplication), with another body a replay, refused.

In Redis when the caller passes a client (SET NX with an expiry), else in wechat_callback_nonces (an insert that
claims the pair; rows older than the window are swept by the next callback of the merchant).
"""
import hashlib
import logging
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import delete, select

from domain.clock import now_utc
from models import WechatCallbackNonce
from services.shared.insert_once import dialect_insert
from services.wechat.crypto import MAX_SKEW_SECONDS, CallbackRefused

KEEP = timedelta(seconds=2 * MAX_SKEW_SECONDS)  # the timestamp may be up to the skew early or late
log = logging.getLogger(__name__)


def refuse_replay(session, merchant_id, timestamp, nonce, body, redis=None, now=None):
    """Raises CallbackRefused when this signed URL came before with another body."""
    signed = f"{timestamp}:{nonce}"[:80]
    digest = hashlib.sha256(body if isinstance(body, bytes) else body.encode()).hexdigest()
    if redis is not None:
        try:
            _in_redis(redis, f"wechat_nonce:{merchant_id}:{signed}", digest)
            return
        except RedisError:
            log.warning("wechat replays: Redis unavailable, remembering in the database", exc_info=True)
    now = now or now_utc()
    session.execute(delete(WechatCallbackNonce).where(WechatCallbackNonce.merchant_id == merchant_id,
                                                      WechatCallbackNonce.seen_at < now - KEEP))
    insert = dialect_insert(session)
    claimed = session.execute(insert(WechatCallbackNonce).values(
        merchant_id=merchant_id, signed=signed, body_hash=digest, seen_at=now).on_conflict_do_nothing(
        index_elements=["merchant_id", "signed"]).execution_options(preserve_rowcount=True)).rowcount
    if claimed != 1:
        earlier = session.scalar(select(WechatCallbackNonce.body_hash).where(
            WechatCallbackNonce.merchant_id == merchant_id, WechatCallbackNonce.signed == signed))
        if earlier != digest:
            raise CallbackRefused("replayed signature with another body")


def _in_redis(redis, key, digest):
    if not redis.set(key, digest, nx=True, ex=int(KEEP.total_seconds())):
        earlier = redis.get(key)
        if earlier is not None and earlier.decode() != digest:
            raise CallbackRefused("replayed signature with another body")
