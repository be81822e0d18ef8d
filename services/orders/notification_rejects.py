"""Payment notifications refused before their signature verified: counted, never kept in full.

Anyone can post to the notification URLs, so what has not proved it comes from the channel (an unknown merchant,
a rate beyond the limit, a body too large, malformed or with a bad or missing signature, a crash before
verifying) adds one to a counter per merchant, local day, endpoint and reason, and replaces that counter's one
sample: the first 512 bytes of the latest body. One upsert; a flood of junk is one row however long it lasts.
Notifications to a slug that names no merchant share the bucket merchant_id 0. A verified notification is kept in
full as PaymentNotification by its channel's service. Counters older than KEEP_DAYS are forgotten by a daily
job (forget_old).
"""
import re
from datetime import timedelta

from sqlalchemy import delete, select

from domain.clock import DEFAULT_TIMEZONE, local_today, now_utc
from models import RejectedNotification
from models.notification_counts import REJECTION_REASONS, UNKNOWN_MERCHANT_BUCKET
from services.shared.insert_once import dialect_insert

SAMPLE_BYTES = 512
KEEP_DAYS = 90  # the back office shows a week; a season is kept to look back on an incident
# PostgreSQL cannot store NUL in text, and the other controls only garble the back office's sample.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Unverified(Exception):
    """A notification that did not prove it comes from the channel: counted, not processed, not kept in full."""

    def __init__(self, reason, detail):
        assert reason in REJECTION_REASONS, reason
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def count(session, merchant, endpoint, reason, detail, body, now=None):
    """One more refused notification of `reason` at the merchant's `endpoint` today (merchant None: the unknown
    merchants' bucket), its detail and sample replacing the previous ones. Flushes."""
    now = now or now_utc()
    day = local_today(merchant.timezone if merchant is not None else DEFAULT_TIMEZONE, now)
    insert = dialect_insert(session)
    statement = insert(RejectedNotification).values(
        merchant_id=merchant.id if merchant is not None else UNKNOWN_MERCHANT_BUCKET, day=day, endpoint=endpoint,
        reason=reason, count=1, last_detail=_printable(detail)[:200] or None, last_sample=sample_of(body),
        last_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=["merchant_id", "day", "endpoint", "reason"],
        set_={"count": RejectedNotification.count + 1, "last_detail": statement.excluded.last_detail,
              "last_sample": statement.excluded.last_sample, "last_at": statement.excluded.last_at}))


def sample_of(body):
    """The first SAMPLE_BYTES of a body as text a person can read (invalid UTF-8 and controls replaced)."""
    return _printable((body or b"")[:SAMPLE_BYTES].decode("utf-8", errors="replace"))


def _printable(text):
    return _CONTROL.sub("\ufffd", text or "")


def recent(session, merchant_id, today, days=7):
    """The merchant's counters of the last `days` days (its local `today` included), newest first."""
    return session.scalars(select(RejectedNotification).where(
        RejectedNotification.merchant_id == merchant_id, RejectedNotification.day > today - timedelta(days=days))
        .order_by(RejectedNotification.day.desc(), RejectedNotification.last_at.desc())).all()


def forget_old(session, now=None):
    """Delete every merchant's counters older than KEEP_DAYS (one statement over the day index: a maintenance
    sweep, not a read of any merchant's data); the number of rows deleted."""
    cutoff = local_today(DEFAULT_TIMEZONE, now or now_utc()) - timedelta(days=KEEP_DAYS)
    return session.execute(delete(RejectedNotification).where(RejectedNotification.day < cutoff)
                           .execution_options(synchronize_session=False)).rowcount
