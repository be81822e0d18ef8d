"""Attribution (渠道归因): each join, coupon claim, card purchase, top-up, paid membership and first payment
credited to the source the member came through and the staff member behind it, once per event."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from domain.clock import now_utc
from models import Attribution
from services.recruitment import sources
from services.shared.insert_once import insert_once
from services.shared.tenancy import scoped


@dataclass(frozen=True)
class Touch:
    """Who brought an event in: a source (link or code), and/or a staff member and store acting directly (an
    assisted join, a counter top-up). Either may be None: a member who found the page alone is 自然流量."""

    source_id: Optional[int] = None
    staff_id: Optional[int] = None
    store_id: Optional[int] = None

    @classmethod
    def of(cls, source=None, staff_id=None, store_id=None):
        if source is None:
            return cls(staff_id=staff_id, store_id=store_id)
        return cls(source_id=source.id, staff_id=staff_id or source.staff_id, store_id=store_id or source.store_id)


NOBODY = Touch()


def record(session, merchant_id, member_id, event, *, key, touch=NOBODY, reference=None, amount=0, now=None):
    """Credit the event; True when this call recorded it, False when `key` was recorded before (a retry)."""
    kind, ref_id = reference or (None, None)
    new_id = insert_once(session, Attribution, {
        "merchant_id": merchant_id, "member_id": member_id, "event": event, "key": key, "amount": int(amount),
        "source_id": touch.source_id, "staff_id": touch.staff_id, "store_id": touch.store_id,
        "reference_kind": kind, "reference_id": ref_id, "created_at": now or now_utc()}, ("merchant_id", "key"))
    return new_id is not None


def join_of(session, merchant_id, member_id):
    """The member's join attribution (how they came), or None."""
    return session.scalars(scoped(Attribution, merchant_id).where(
        Attribution.member_id == member_id, Attribution.event == "join")).first()


def touch_of_join(session, merchant_id, member_id):
    """The touch that brought the member: what their first payment is credited to."""
    joined = join_of(session, merchant_id, member_id)
    if joined is None:
        return NOBODY
    return Touch(source_id=joined.source_id, staff_id=joined.staff_id, store_id=joined.store_id)


def joined(session, merchant, member_id, touch, now=None):
    return record(session, merchant.id, member_id, "join", key=f"join:{member_id}", touch=touch, now=now)


def first_payment(session, merchant_id, member_id, *, amount, reference, now=None):
    """The member's first payment (till or online), credited to the touch that brought them; True the first time."""
    touch = touch_of_join(session, merchant_id, member_id)
    return record(session, merchant_id, member_id, "first_payment", key=f"first_payment:{member_id}",
                  touch=touch, reference=reference, amount=amount, now=now)


def order_touch(session, order):
    """The touch an order carries: the staff at the counter or behind the link, and the source it came through."""
    source = sources.get(session, order.merchant_id, order.source_id)
    return Touch.of(source, staff_id=order.staff_id, store_id=order.store_id)


def exists(session, merchant_id, key):
    return session.scalar(select(Attribution.id).where(Attribution.merchant_id == merchant_id,
                                                       Attribution.key == key)) is not None
