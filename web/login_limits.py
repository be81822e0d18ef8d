"""Password guessing limits on the back office's and the staff page's sign-in: failures counted per account
(merchant code and user name, whoever tries it) and per client address, in windows of 15 minutes (this window
and the last, so a limit does not reset on the window's edge).

An account is locked after 5 failures and an address after 30; the lock lasts until those failures leave the
two windows, so it grows with every further failure (each one is a fresh count in the newest window). While
locked, even the right password is refused, with the wait in minutes. Counted in Redis when REDIS_URL is set
(INCR and EXPIRE), else in the database (login_failures, one upsert). A lock of a real account is written to its
merchant's audit log.
"""
import logging
import time

from redis.exceptions import RedisError
from sqlalchemy import select

from domain.errors import DomainError
from models import LoginFailure
from services.merchant import audit, staff as staff_service
from services.shared import redis_windows
from services.shared.insert_once import dialect_insert
from web import redis_client

WINDOW_SECONDS = 15 * 60
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 30
log = logging.getLogger(__name__)


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    http_status = 429


def sign_in(session, merchant_code, username, password, ip):
    """The staff member for these credentials, or None (a failure, counted); TooManyAttempts when locked, before
    the password is even looked at. Both sign-in pages call this."""
    account, address = account_key(merchant_code, username), address_key(ip)
    refuse_if_locked(session, account, address)
    staff = staff_service.authenticate(session, merchant_code, username, password)
    if staff is not None:
        return staff
    if record_failure(session, account, address):
        tried = staff_service.find_account(session, merchant_code, username)
        if tried is not None:  # a real account locked: its merchant sees it in the audit log
            audit.record(session, None, "staff.login_locked", "staff", tried.id, ip=ip, merchant_id=tried.merchant_id,
                         after={"failures": ACCOUNT_LIMIT, "minutes": _minutes_left(time.time())})
    return None


def account_key(merchant_code, username):
    return f"account:{(merchant_code or '').strip().lower()[:60]}/{(username or '').strip()[:60]}"


def address_key(ip):
    return f"ip:{(ip or 'unknown')[:60]}"


def refuse_if_locked(session, account, address, now=None):
    """Raises TooManyAttempts (with the wait) when the account or the address is locked."""
    now = now if now is not None else time.time()
    for key, limit in ((account, ACCOUNT_LIMIT), (address, ADDRESS_LIMIT)):
        if _failures(session, key, now) >= limit:
            minutes = _minutes_left(now)
            raise TooManyAttempts(f"尝试次数过多，请 {minutes} 分钟后再试", wait_minutes=minutes)


def record_failure(session, account, address, now=None):
    """Count one failure against both; returns True when it locked the account just now."""
    now = now if now is not None else time.time()
    for key in (account, address):
        _add(session, key, now)
    return _failures(session, account, now) == ACCOUNT_LIMIT


def _minutes_left(now):
    """Until the older of the two counted windows has gone: the failures in it stop counting then."""
    window_end = (int(now) // WINDOW_SECONDS + 1) * WINDOW_SECONDS
    return max(1, -(-(window_end - int(now)) // 60))


def _failures(session, key, now):
    window = int(now) // WINDOW_SECONDS
    redis = redis_client.shared()
    if redis is not None:
        try:
            return redis_windows.total(redis, [_redis_key(key, window), _redis_key(key, window - 1)])
        except RedisError:
            log.warning("login limits: Redis unavailable, counting in the database", exc_info=True)
    rows = session.scalars(select(LoginFailure.count).where(LoginFailure.key == key,
                                                            LoginFailure.window.in_((window, window - 1))))
    return sum(rows)


def _add(session, key, now):
    window = int(now) // WINDOW_SECONDS
    redis = redis_client.shared()
    if redis is not None:
        try:
            redis_windows.count_up(redis, [_redis_key(key, window)], WINDOW_SECONDS)
            return
        except RedisError:
            log.warning("login limits: Redis unavailable, counting in the database", exc_info=True)
    insert = dialect_insert(session)
    session.execute(insert(LoginFailure).values(key=key, window=window, count=1).on_conflict_do_update(
        index_elements=[LoginFailure.key, LoginFailure.window], set_={"count": LoginFailure.count + 1}))


def _redis_key(key, window):
    return f"login_failed:{key}:{window}"
