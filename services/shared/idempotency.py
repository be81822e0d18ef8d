"""Ledger rows carry an idempotency key under a unique constraint; a repeat returns the first result (they are
written by services/shared/ledger_rows.py)."""
from sqlalchemy import select

from domain.errors import DomainError, IdempotencyMismatch
from models import Member
from services.shared.tenancy import get_owned

MAX_KEY_LENGTH = 100


def check_key(key):
    if not key or not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        raise DomainError("缺少或过长的幂等键")
    return key


def find_existing(session, model, merchant_id, key):
    return session.scalars(
        select(model).where(model.merchant_id == merchant_id, model.idempotency_key == key)
    ).one_or_none()


def ensure_same_request(existing, **expected):
    """A key reused for a different request is an error, not a silent replay of something else."""
    for name, value in expected.items():
        if getattr(existing, name) != value:
            raise IdempotencyMismatch("该幂等键已用于另一笔不同的操作", key=existing.idempotency_key, field=name)
    return existing


def lock_member_for_issue(session, merchant_id, member_id, model, key, template_id):
    """(the member, locked, which serialises what is issued to them; the `model` row an earlier request with this
    key issued, or None). A key reused for another template or member is an IdempotencyMismatch."""
    member = get_owned(session, Member, merchant_id, member_id, lock=True)
    existing = find_existing(session, model, merchant_id, key)
    if existing is not None:
        ensure_same_request(existing, template_id=int(template_id), member_id=member.id)
    return member, existing
