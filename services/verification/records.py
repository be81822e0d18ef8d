"""One place that writes a verification record, whoever acted: a staff member on the page or a till's API key."""
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from models import Store, Verification
from models.coupons import VERIFY_METHODS
from domain.errors import DomainError, IdempotencyMismatch, NotFound, PermissionDenied
from services.shared import idempotency, ledger_rows
from services.shared.tenancy import merchant_timezone


def is_api_key(actor):
    """Whether a till's API key acted (models.ApiKey or its remembered services.merchant.api_keys.ApiActor), not staff."""
    return getattr(actor, "is_api_key", False) is True


def is_member(actor):
    """Whether a member pays for themself (self-pay in H5, services/till/self_pay.py): neither staff nor an API key."""
    return getattr(actor, "is_member", False) is True


def staff_id_of(actor):
    """The staff id to record for this actor: None for an API key or a member acting for themself."""
    return None if is_api_key(actor) or is_member(actor) else actor.id


def api_key_id_of(actor):
    return actor.id if is_api_key(actor) else None


def operator_of(actor):
    """The ledgers' operator (a staff row or None): ledger rows name staff only."""
    return actor if staff_id_of(actor) is not None else None


def source_of(actor):
    """Where a checkout came from: 'api', 'h5' (member self-pay) or 'staff'."""
    return "api" if is_api_key(actor) else "h5" if is_member(actor) else "staff"


def method_of(actor):
    """How a coupon used in a checkout was verified: 'api', 'self' (member self-pay) or 'manual'."""
    return "api" if is_api_key(actor) else "self" if is_member(actor) else "manual"


@dataclass(frozen=True)
class StoreFacts:
    """What a verification needs of a store, remembered by an API actor (see services/merchant/api_keys.py)."""

    id: int
    merchant_id: int
    name: str
    active: bool


def actor_store(session, actor, store_id):
    """The store, if it is the actor's merchant's and the actor may act there; refuses with the reason otherwise."""
    store = _owned_store(session, actor, store_id)
    if not store.active:
        raise PermissionDenied("该门店已停用")
    if not actor.can_act_in(store.id):
        raise PermissionDenied("您只能在所属门店核销")
    return store


def _owned_store(session, actor, store_id):
    """get_owned's contract (another merchant's store is NotFound) through the identity map, or through what an API
    actor remembers of its own merchant's stores (never another merchant's: those are asked for every time)."""
    try:
        store_id = int(store_id)
    except (TypeError, ValueError):
        raise NotFound("记录不存在") from None
    seen = getattr(actor, "stores_seen", None)
    if seen is not None and store_id in seen:
        return seen[store_id]
    store = session.get(Store, store_id) if 0 < store_id < 2**31 else None
    if store is None or store.merchant_id != actor.merchant_id:
        raise NotFound("记录不存在")
    if seen is not None:
        return seen.setdefault(store_id, StoreFacts(store.id, store.merchant_id, store.name, store.active))
    return store


def actor_timezone(session, actor):
    """The actor's merchant's timezone: remembered by an API actor, else from the merchant (identity map)."""
    return getattr(actor, "merchant_timezone", None) or merchant_timezone(session, actor.merchant_id)


def check_request(method, key):
    if method not in VERIFY_METHODS:
        raise DomainError("未知的核销方式")
    idempotency.check_key(key)


# idempotency.find_existing's query, built once: every verification asks it, and a reused statement skips
# construction and cache-key work.
_BY_KEY = select(Verification).where(Verification.merchant_id == bindparam("merchant_id"),
                                     Verification.idempotency_key == bindparam("key"))


def replay(session, actor, key):
    """The record an earlier request with this key made, or None."""
    return session.scalars(_BY_KEY, {"merchant_id": actor.merchant_id, "key": key}).one_or_none()


def record(session, actor, *, store, instrument_type, instrument_name, method, key, member_id, now,
           amount_received=0, coupon_code_id=None, card_id=None, quantity=None, amount_taken=None,
           wallet_transaction_id=None, gate=None, key_is_ours=False):
    """The verification record. `gate`: the conditional state change it records, as (UPDATE ... RETURNING, its
    parameters); when that changes nothing, nothing is recorded and the answer is None (on PostgreSQL the two are
    one statement: services/shared/ledger_rows.py). `key_is_ours`: see ledger_rows.insert."""
    values = dict(merchant_id=actor.merchant_id, instrument_type=instrument_type, instrument_name=instrument_name,
                  method=method, store_id=store.id, staff_id=staff_id_of(actor),
                  api_key_id=api_key_id_of(actor), member_id=member_id,
                  amount_received=amount_received, idempotency_key=key, created_at=now,
                  coupon_code_id=coupon_code_id, card_id=card_id, quantity=quantity, amount_taken=amount_taken,
                  wallet_transaction_id=wallet_transaction_id, undone_at=None, undone_by_id=None)
    written = ledger_rows.insert(session, Verification, values, gates=[gate] if gate else (), key_is_ours=key_is_ours)
    if written.earlier is not None:
        # The caller rolls back on a DomainError, which also undoes the state change made under this key.
        raise IdempotencyMismatch("该幂等键已用于另一笔核销", key=key)
    return written.row
