"""The rate limit on a merchant's payment notification URLs: at most `per_minute` notifications (payment and
refund, WeChat Pay and Alipay together) in one clock minute; the rest are answered FAIL unprocessed.

Refusing is safe for a genuine notification: WeChat Pay and Alipay retry one that was not acknowledged for about
a day, on their own back-off (WeChat: 15 s, 15 s, 30 s, 3 min, 10 min, ...; Alipay: 4 min, 10 min, 10 min, 1 h,
...), and the overdue-order job asks the channel about an order whose notification never got through. So the
limit delays a payment's confirmation during a flood, and never loses it.

Counted in Redis when the caller passes a client (INCR and EXPIRE on a counter per merchant and minute, the same
shape as the sign-in and look-up limits), else in notification_rates by one upsert; a merchant's older minutes are
deleted when its next minute starts. A Redis error falls back to the database rather than letting a flood in.
"""
import logging

from redis.exceptions import RedisError
from sqlalchemy import delete

from domain.clock import now_utc
from models import NotificationRate
from services.shared import redis_windows
from services.shared.insert_once import dialect_insert

WINDOW_SECONDS = 60
log = logging.getLogger(__name__)


def take_slot(session, merchant_id, per_minute, redis=None, now=None):
    """Count this notification against the merchant's minute; True while that count is within `per_minute`
    (0 or None: no limit). The database count is flushed, not committed: the caller commits it at once, before
    the work it allows, so that a refused notification still counts and the row is not held locked."""
    if not per_minute:
        return True
    minute = int((now or now_utc()).timestamp()) // WINDOW_SECONDS
    if redis is not None:
        try:
            return _count_in_redis(redis, merchant_id, minute) <= per_minute
        except RedisError:
            log.warning("notification rate: Redis unavailable, counting in the database", exc_info=True)
    return _count_in_database(session, merchant_id, minute) <= per_minute


def _count_in_redis(redis, merchant_id, minute):
    (counted,) = redis_windows.count_up(redis, [f"notify_rate:{merchant_id}:{minute}"], WINDOW_SECONDS)
    return counted


def _count_in_database(session, merchant_id, minute):
    insert = dialect_insert(session)
    counted = session.scalar(insert(NotificationRate).values(merchant_id=merchant_id, minute=minute, count=1)
                             .on_conflict_do_update(index_elements=["merchant_id", "minute"],
                                                    set_={"count": NotificationRate.count + 1})
                             .returning(NotificationRate.count))
    if counted == 1:  # the merchant's first notification this minute: its earlier minutes are no longer needed
        session.execute(delete(NotificationRate).where(NotificationRate.merchant_id == merchant_id,
                                                       NotificationRate.minute < minute))
    return counted
