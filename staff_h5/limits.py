"""Failed code look-ups, counted per staff member and per device in the audit log, so codes cannot be guessed."""
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from domain.clock import now_utc
from models import AuditLog
from services import audit

ACTION = "staff.lookup_failed"
MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)
DEVICE_COOKIE = "staff_device"


def new_device_id():
    return secrets.token_urlsafe(16)


def _count(session, *where, now=None):
    since = (now or now_utc()) - WINDOW
    return session.scalar(select(func.count(AuditLog.id))
                          .where(AuditLog.action == ACTION, AuditLog.created_at >= since, *where))


def is_blocked(session, staff, device_id, now=None):
    """True when this staff member, or this device, has failed MAX_FAILURES times within WINDOW."""
    by_staff = _count(session, AuditLog.staff_id == staff.id, now=now)
    by_device = _count(session, AuditLog.target_type == "device", AuditLog.target_id == device_id, now=now)
    return by_staff >= MAX_FAILURES or by_device >= MAX_FAILURES


def record_failure(session, staff, device_id, typed, ip=None):
    audit.record(session, staff, ACTION, "device", device_id, after={"typed": (typed or "")[:40]}, ip=ip)
    session.flush()

