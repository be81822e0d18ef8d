"""One place that writes a verification record, whoever acted: a staff member on the page or a till's API key."""
from models import ApiKey, Verification
from models.coupons import VERIFY_METHODS
from domain.errors import DomainError, PermissionDenied
from services import idempotency
from services.tenancy import get_owned


def actor_store(session, actor, store_id):
    """The store, if it is the actor's merchant's and the actor may act there; refuses with the reason otherwise."""
    from models import Store

    store = get_owned(session, Store, actor.merchant_id, store_id)
    if not store.active:
        raise PermissionDenied("该门店已停用")
    if not actor.can_act_in(store.id):
        raise PermissionDenied("您只能在所属门店核销")
    return store


def check_request(method, key):
    if method not in VERIFY_METHODS:
        raise DomainError("未知的核销方式")
    idempotency.check_key(key)


def replay(session, actor, key):
    """The record an earlier request with this key made, or None."""
    return idempotency.find_existing(session, Verification, actor.merchant_id, key)


def record(session, actor, *, store, instrument_type, instrument_name, method, key, member_id, now,
           amount_received=0, coupon_code_id=None, card_id=None, quantity=None, amount_taken=None,
           wallet_transaction_id=None):
    is_api = isinstance(actor, ApiKey)
    row = Verification(merchant_id=actor.merchant_id, instrument_type=instrument_type, instrument_name=instrument_name,
                       method=method, store_id=store.id, staff_id=None if is_api else actor.id,
                       api_key_id=actor.id if is_api else None, member_id=member_id,
                       amount_received=amount_received, idempotency_key=key, created_at=now,
                       coupon_code_id=coupon_code_id, card_id=card_id, quantity=quantity, amount_taken=amount_taken,
                       wallet_transaction_id=wallet_transaction_id)
    session.add(row)
    session.flush()
    return row
