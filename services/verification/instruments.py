"""Everything a member holds that staff can verify at the till, behind one interface.

Each instrument module (services/coupons/instrument.py, services/cards/gift_instrument.py,
count_timed_instrument.py, benefit_instrument.py and services/points_mall/instrument.py) exposes an adapter object with:

    kind            'coupon' | 'count_card' | 'timed_card' | 'gift_card' | 'benefit_card' | 'gift_exchange' (one adapter may serve several)
    find(session, merchant_id, code) -> row | None        code already normalised; never raises NotFound
    describe(session, row, store_id, now) -> Lookup        what the staff page and the API show (lookup.py)
    verify(session, actor, row_id, *, store_id, method, key, quantity=None, amount=None, amount_received=0, now=None)
                                                           -> Verification (conditional update; replay-safe by key)
    verify_code(session, actor, code, **same)  optional   -> Verification | None (None: not this adapter's code)
    undo(session, staff, verification, now) -> None        reverse one verification within the undo window
    held_by(session, member, store_id, now) -> [Lookup]    what a member holds, for a scanned member QR

and is listed in ADAPTERS. The staff page and the JSON API only talk to this module. The adapters build their
answers from services/verification/lookup.py and never import this module, so every import points one way.
"""
from datetime import timedelta

from domain import coupons as code_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import Verification
from services.cards import benefit_instrument, count_timed_instrument, gift_instrument
from services.coupons import instrument as coupon_instrument
from services.points_mall import instrument as gift_exchange_instrument
from services.shared.tenancy import get_owned

# Every adapter, tried in this order by find() and verify() (the coupon's first: the till's hot path).
ADAPTERS = [
    coupon_instrument.INSTRUMENT,
    gift_instrument.INSTRUMENT,
    count_timed_instrument.INSTRUMENT,
    benefit_instrument.INSTRUMENT,
    gift_exchange_instrument.INSTRUMENT,
]

UNDO_WINDOW = timedelta(minutes=10)


def adapter_for(kind):
    for adapter in ADAPTERS:
        if kind in _kinds(adapter):
            return adapter
    raise DomainError("未知的核销对象")


def _kinds(adapter):
    return getattr(adapter, "kinds", (adapter.kind,))


def find(session, merchant_id, typed):
    """(adapter, row) for a typed or scanned code of this merchant; NotFound when no instrument has it."""
    code = code_rules.normalise_code(typed)
    for adapter in ADAPTERS:
        row = adapter.find(session, merchant_id, code)
        if row is not None:
            return adapter, row
    raise NotFound("券码不存在")


def lookup(session, merchant_id, typed, store_id, now=None):
    adapter, row = find(session, merchant_id, typed)
    return adapter.describe(session, row, store_id, now or now_utc())


def verify(session, actor, typed, *, store_id, method, key, quantity=None, amount=None, amount_received=0, now=None):
    """Verify whatever the code is, trying the adapters in find()'s order. An adapter with verify_code takes the
    code in one step (no row loaded first: the till's hot path) and answers None when the code is not its own."""
    code = code_rules.normalise_code(typed)
    wanted = dict(store_id=store_id, method=method, key=key, quantity=quantity, amount=amount,
                  amount_received=amount_received, now=now or now_utc())
    for adapter in ADAPTERS:
        verify_code = getattr(adapter, "verify_code", None)
        if verify_code is not None:
            record = verify_code(session, actor, code, **wanted)
            if record is not None:
                return record
            continue
        row = adapter.find(session, actor.merchant_id, code)
        if row is not None:
            return adapter.verify(session, actor, row.id, **wanted)
    raise NotFound("券码不存在")


def held_by(session, member, store_id, now=None):
    now = now or now_utc()
    found = []
    for adapter in ADAPTERS:
        found.extend(adapter.held_by(session, member, store_id, now))
    return found


def undo(session, staff, verification_id, now=None):
    """The same staff member takes back one of their verifications within the window; recorded, never deleted."""
    now = now or now_utc()
    record = get_owned(session, Verification, staff.merchant_id, verification_id, lock=True)
    if record.staff_id != staff.id:
        raise PermissionDenied("只能撤销自己的核销")
    if record.undone_at is not None:
        raise Conflict("该核销已撤销")
    if now - record.created_at > UNDO_WINDOW:
        raise Conflict(f"核销超过 {int(UNDO_WINDOW.total_seconds() // 60)} 分钟，不能撤销")
    adapter_for(record.instrument_type).undo(session, staff, record, now)
    record.undone_at, record.undone_by_id = now, staff.id
    session.flush()
    return record
