"""Failed look-ups (unknown code, bad or stale QR token), counted per staff member and per device, so codes
cannot be guessed by trying.

Every failure is written to the audit log. With REDIS_URL set the counting is done in Redis (INCR and
EXPIRE on a counter per window), so a busy shop does not count audit rows on every look-up; without it
(the embedded mode) the audit log itself is counted.
"""
import logging
import secrets
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, select

from domain.clock import now_utc
from models import AuditLog
from services.merchant import audit
from services.shared import redis_windows
from web import redis_client

ACTION = "staff.lookup_failed"
MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)
DEVICE_COOKIE = "staff_device"
REDIS_PREFIX = "staff_lookup_failed"

log = logging.getLogger(__name__)


def new_device_id():
    return secrets.token_urlsafe(16)


def is_blocked(session, staff, device_id, now=None):
    """True when this staff member, or this device, has failed MAX_FAILURES times within WINDOW."""
    redis = redis_client.shared()
    if redis is not None:
        try:
            return _blocked_in_redis(redis, staff, device_id, now)
        except RedisError:  # the audit log holds every failure too: count there rather than let guessing through
            log.warning("staff look-up limit: Redis unavailable, counting the audit log", exc_info=True)
    by_staff = _count(session, AuditLog.staff_id == staff.id, now=now)
    by_device = _count(session, AuditLog.target_type == "device", AuditLog.target_id == device_id, now=now)
    return by_staff >= MAX_FAILURES or by_device >= MAX_FAILURES


def record_failure(session, staff, device_id, typed, ip=None, now=None):
    audit.record(session, staff, ACTION, "device", device_id, after={"typed": (typed or "")[:40]}, ip=ip)
    session.flush()
    redis = redis_client.shared()
    if redis is not None:
        try:
            _count_in_redis(redis, staff, device_id, now)
        except RedisError:
            log.warning("staff look-up limit: Redis unavailable, failure kept in the audit log only", exc_info=True)


def _blocked_in_redis(redis, staff, device_id, now):
    window = _window(now)
    for name in _names(staff, device_id):
        if redis_windows.total(redis, [_key(name, window), _key(name, window - 1)]) >= MAX_FAILURES:
            return True
    return False


def _count_in_redis(redis, staff, device_id, now):
    window = _window(now)
    redis_windows.count_up(redis, [_key(name, window) for name in _names(staff, device_id)],
                           int(WINDOW.total_seconds()))


def _count(session, *where, now=None):
    since = (now or now_utc()) - WINDOW
    return session.scalar(select(func.count(AuditLog.id))
                          .where(AuditLog.action == ACTION, AuditLog.created_at >= since, *where))


def _names(staff, device_id):
    return (f"staff:{staff.id}", f"device:{device_id}")


def _window(now=None):
    return int((now or now_utc()).timestamp()) // int(WINDOW.total_seconds())


def _key(name, window):
    """One counter per fixed window. Checking the current and the previous one together means no stretch
    of WINDOW length ever allows more than MAX_FAILURES, at the price of a block lasting up to two windows."""
    return f"{REDIS_PREFIX}:{name}:{window}"
