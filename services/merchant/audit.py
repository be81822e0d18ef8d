"""The audit trail of staff actions: who, what, on which record, before and after."""
from datetime import date, datetime

from models import AuditLog


def snapshot(obj, fields):
    """A JSON-safe picture of some attributes of a row, for the before/after of an audit entry."""
    return {name: _json_safe(getattr(obj, name)) for name in fields}


def _json_safe(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def record(session, actor, action, target_type, target_id, before=None, after=None, ip=None, merchant_id=None):
    entry = AuditLog(
        merchant_id=merchant_id if merchant_id is not None else actor.merchant_id,
        staff_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        ip=ip,
    )
    session.add(entry)
    return entry


def changed_only(before, after):
    """Keep only the keys whose values differ, so the trail says what actually changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
