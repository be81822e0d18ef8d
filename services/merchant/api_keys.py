"""Per-merchant API keys for shops with their own till.

A key reads `mk_<prefix>_<secret>`. The prefix is public (lists, logs) and finds the row; only the sha256 of the
whole key is stored, so a leaked database does not leak usable keys. The full key is shown once, at creation.

Every till request authenticates, so each process remembers a successful authentication for CACHE_SECONDS as
a small immutable ApiActor (no database row). Revoking clears the revoking process's memory at once; the other
processes (gunicorn workers) refuse the key within CACHE_SECONDS.
"""
import hashlib
import hmac
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload

from domain.clock import now_utc
from domain.errors import Conflict
from models import ApiKey, Store
from services.merchant import audit
from services.shared.tenancy import get_owned, owned_ids, scoped
from services.shared.text import required_text

PREFIX_LENGTH = 8
SECRET_BYTES = 32  # token_urlsafe(32) gives 43 characters, 256 bits
# Writing last_used_at on every request would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SHAPE = re.compile(r"^mk_([a-z0-9]{8})_[A-Za-z0-9_-]{20,100}$")
# How long a process trusts an authentication without asking the database again: the delay before a revocation
# (or a store's deactivation) reaches every worker.
CACHE_SECONDS = 5.0
_CACHE_LIMIT = 10_000  # distinct live keys per process before expired entries are swept


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    plaintext: str  # shown to the merchant once, never stored


@dataclass(frozen=True)
class ApiActor:
    """An authenticated key as the services see it: plain values, shared by a process's threads for a few seconds.

    Anything the services ask of an actor (merchant_id, id, can_act_in) is here; `stores_seen` remembers the
    facts of this merchant's stores already checked (services/verification/records.actor_store) for the same lifetime.
    """

    is_api_key: ClassVar[bool] = True
    id: int
    merchant_id: int
    name: str
    all_stores: bool
    store_ids: frozenset
    merchant_timezone: str
    stores_seen: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def can_act_in(self, store_id):
        return self.all_stores or store_id in self.store_ids

    @property
    def actor_label(self):
        return f"接口 {self.name}"


@dataclass
class _Remembered:
    actor: ApiActor
    expires: float  # on the monotonic clock
    last_used_at: object  # as last read or written, so that a hit writes it at most once per resolution


_remembered: dict[str, _Remembered] = {}
_sweep_lock = threading.Lock()


def _monotonic():
    return time.monotonic()


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
    _remembered.pop(key.secret_hash, None)
    audit.record(session, actor, "api_key.revoke", "api_key", key.id, before={"active": True},
                 after={"active": False, "prefix": key.prefix}, ip=ip)
    session.flush()
    return key


# Built once: a request whose key this process does not remember runs it.
_BY_PREFIX = select(ApiKey).where(ApiKey.prefix == bindparam("prefix")).options(joinedload(ApiKey.merchant))


def authenticate(session, presented, now=None):
    """The ApiActor of the active key matching the presented text; None for anything else."""
    if _SHAPE.match(presented or "") is None:
        return None
    digest = hash_key(presented)
    now = now or now_utc()
    entry = _remembered.get(digest)
    if entry is None or entry.expires <= _monotonic():
        entry = _load(session, presented, digest)
        if entry is None:
            return None
    if entry.last_used_at is None or now - entry.last_used_at >= LAST_USED_RESOLUTION:
        _touch(session, entry.actor.id, now)
        entry.last_used_at = now
    return entry.actor


def _load(session, presented, digest):
    key = session.scalars(_BY_PREFIX, {"prefix": presented[3:3 + PREFIX_LENGTH]}).one_or_none()
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    _remembered.pop(digest, None)
    if not key.active or key.revoked_at is not None:
        return None
    actor = ApiActor(id=key.id, merchant_id=key.merchant_id, name=key.name, all_stores=key.all_stores,
                     store_ids=frozenset(() if key.all_stores else (s.id for s in key.stores)),
                     merchant_timezone=key.merchant.timezone)
    entry = _Remembered(actor, _monotonic() + CACHE_SECONDS, key.last_used_at)
    _sweep()
    _remembered[digest] = entry
    return entry


def _sweep():
    if len(_remembered) < _CACHE_LIMIT:
        return
    with _sweep_lock:
        moment = _monotonic()
        for digest, entry in list(_remembered.items()):
            if entry.expires <= moment:
                _remembered.pop(digest, None)


def _touch(session, key_id, now):
    """Record use at most once per LAST_USED_RESOLUTION; a conditional update so concurrent requests write once."""
    stale = ApiKey.last_used_at.is_(None) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION)
    session.execute(update(ApiKey).where(ApiKey.id == key_id, stale)
                    .values(last_used_at=now).execution_options(synchronize_session=False))
