"""Failed code look-ups per API key, so a till (or whoever stole its key) cannot guess codes by trying.

With REDIS_URL set, a counter per key and window in Redis (no write to the database per miss); without it, the
misses are audit rows, counted over the window.
"""
from datetime import timedelta

from sqlalchemy import bindparam, func, select

from domain.clock import now_utc
from models import AuditLog
from services.merchant import audit
from web import redis_client

MAX_FAILURES = 30
WINDOW = timedelta(minutes=10)
ACTION = "api.lookup_failed"


# Built once: every verification checks it, and a reused statement skips construction and cache-key work.
_FAILURES = select(func.count(AuditLog.id)).where(
    AuditLog.merchant_id == bindparam("merchant_id"), AuditLog.target_type == "api_key",
    AuditLog.target_id == bindparam("target_id"), AuditLog.action == ACTION,
    AuditLog.created_at >= bindparam("since"))


def is_blocked(session, key, now=None):
    return failures(session, key, now) >= MAX_FAILURES


def failures(session, key, now=None):
    redis = redis_client.shared()
    if redis is not None:
        return int(redis.get(_redis_key(key)) or 0)
    since = (now or now_utc()) - WINDOW
    # A plain count: run on the request's connection (same transaction), skipping the ORM's result handling.
    return session.connection().scalar(_FAILURES, {"merchant_id": key.merchant_id, "target_id": str(key.id),
                                                   "since": since})


def record_failure(session, key, typed, ip=None):
    """Count one miss. The caller commits (the response is an error, but the miss must stay counted)."""
    redis = redis_client.shared()
    if redis is not None:
        name = _redis_key(key)
        pipe = redis.pipeline()
        pipe.set(name, 0, ex=int(WINDOW.total_seconds()), nx=True)  # the window starts at the first miss
        pipe.incr(name)
        pipe.execute()
        return
    audit.record(session, None, ACTION, "api_key", key.id, after={"typed": (typed or "")[:40]}, ip=ip,
                 merchant_id=key.merchant_id)
    session.flush()


def _redis_key(key):
    return f"api:lookup_failed:{key.id}"
