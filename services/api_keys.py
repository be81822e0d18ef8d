"""Per-merchant API keys for shops with their own till.

A key reads `mk_<prefix>_<secret>`. The prefix is public (lists, logs) and finds the row; only the sha256 of the
whole key is stored, so a leaked database does not leak usable keys. The full key is shown once, at creation.
"""
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from domain.clock import now_utc
from domain.errors import Conflict
from models import ApiKey, Store
from services import audit
from services.tenancy import get_owned, owned_ids, scoped
from services.text import required_text

PREFIX_LENGTH = 8
SECRET_BYTES = 32  # token_urlsafe(32) gives 43 characters, 256 bits
# Writing last_used_at on every request would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SHAPE = re.compile(r"^mk_([a-z0-9]{8})_[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    plaintext: str  # shown to the merchant once, never stored


def hash_key(plaintext):
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_prefix(session):
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            return prefix


def create(session, actor, *, name, store_ids=(), ip=None):
    """A new active key for the actor's merchant; store_ids empty means every store."""
    stores = owned_ids(session, Store, actor.merchant_id, store_ids or ())
    prefix = _new_prefix(session)
    plaintext = f"mk_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    key = ApiKey(merchant_id=actor.merchant_id, name=required_text(name, "密钥名称", 40), prefix=prefix,
                 secret_hash=hash_key(plaintext), all_stores=not stores, stores=stores, active=True,
                 created_by_id=actor.id, created_at=now_utc())
    session.add(key)
    session.flush()
    audit.record(session, actor, "api_key.create", "api_key", key.id,
                 after={"name": key.name, "prefix": prefix, "store_ids": [s.id for s in stores]}, ip=ip)
    return NewKey(key, plaintext)


def list_keys(session, merchant_id):
    return session.scalars(scoped(ApiKey, merchant_id).options(selectinload(ApiKey.stores))
                           .order_by(ApiKey.id.desc())).all()


def revoke(session, actor, key_id, *, ip=None, now=None):
    """Turn a key off for good. Revoking twice is refused, so the audit trail shows one revocation."""
    key = get_owned(session, ApiKey, actor.merchant_id, key_id, lock=True)
    if key.revoked_at is not None:
        raise Conflict("该密钥已吊销")
    key.active, key.revoked_at = False, now or now_utc()
    audit.record(session, actor, "api_key.revoke", "api_key", key.id, before={"active": True},
                 after={"active": False, "prefix": key.prefix}, ip=ip)
    session.flush()
    return key


# Built once: every API request runs it, and a reused statement skips construction and cache-key work.
_BY_PREFIX = select(ApiKey).where(ApiKey.prefix == bindparam("prefix")).options(joinedload(ApiKey.merchant))


def authenticate(session, presented, now=None):
    """The active key matching the presented text, with its merchant loaded; None for anything else."""
    match = _SHAPE.match(presented or "")
    if match is None:
        return None
    key = session.scalars(_BY_PREFIX, {"prefix": match.group(1)}).one_or_none()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_key(presented)):
        return None
    if not key.active or key.revoked_at is not None:
        return None
    _touch(session, key, now or now_utc())
    return key


def _touch(session, key, now):
    """Record use at most once per LAST_USED_RESOLUTION; a conditional update so concurrent requests write once."""
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = ApiKey.last_used_at.is_(None) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION)
    session.execute(update(ApiKey).where(ApiKey.id == key.id, stale)
                    .values(last_used_at=now).execution_options(synchronize_session=False))
    set_committed_value(key, "last_used_at", now)  # already written; must not be flushed again
