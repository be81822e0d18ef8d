"""One place that writes a verification record, whoever acted: a staff member on the page or a till's API key."""
from sqlalchemy import bindparam, insert, select

from models import ApiKey, Verification
from models.coupons import VERIFY_METHODS
from domain.errors import DomainError, NotFound, PermissionDenied
from services import idempotency


def actor_store(session, actor, store_id):
    """The store, if it is the actor's merchant's and the actor may act there; refuses with the reason otherwise."""
    store = _owned_store(session, actor.merchant_id, store_id)
    if not store.active:
        raise PermissionDenied("该门店已停用")
    if not actor.can_act_in(store.id):
        raise PermissionDenied("您只能在所属门店核销")
    return store


def _owned_store(session, merchant_id, store_id):
    """get_owned's contract (another merchant's store is NotFound) through the identity map: the API checks the
    store before the instrument does, and the second check of a request then costs no query."""
    from models import Store

    try:
        store_id = int(store_id)
    except (TypeError, ValueError):
        raise NotFound("记录不存在") from None
    store = session.get(Store, store_id) if 0 < store_id < 2**31 else None
    if store is None or store.merchant_id != merchant_id:
        raise NotFound("记录不存在")
    return store


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


_INSERT = insert(Verification).returning(Verification)


def record(session, actor, *, store, instrument_type, instrument_name, method, key, member_id, now,
           amount_received=0, coupon_code_id=None, card_id=None, quantity=None, amount_taken=None,
           wallet_transaction_id=None):
    is_api = isinstance(actor, ApiKey)
    values = dict(merchant_id=actor.merchant_id, instrument_type=instrument_type, instrument_name=instrument_name,
                  method=method, store_id=store.id, staff_id=None if is_api else actor.id,
                  api_key_id=actor.id if is_api else None, member_id=member_id,
                  amount_received=amount_received, idempotency_key=key, created_at=now,
                  coupon_code_id=coupon_code_id, card_id=card_id, quantity=quantity, amount_taken=amount_taken,
                  wallet_transaction_id=wallet_transaction_id, undone_at=None, undone_by_id=None)
    # One INSERT ... RETURNING rather than a unit-of-work flush: every verification writes one record. Pending
    # changes are still flushed first (autoflush), as session.flush() did.
    return session.scalars(_INSERT, [values]).one()
