"""Coupon codes bought in an order, when the order is refunded (services.orders.refunds): which of them are still
unused, and voiding those with one conditional update."""
from sqlalchemy import select, update

from domain import coupons as rules
from models import CouponCode


def unused_of(session, merchant_id, code_ids, member_id):
    """Of these codes, the ids still available to the member who bought them (not used, transferred or voided)."""
    if not code_ids:
        return []
    return session.scalars(select(CouponCode.id).where(
        CouponCode.merchant_id == merchant_id, CouponCode.id.in_(code_ids), CouponCode.member_id == member_id,
        CouponCode.state == rules.AVAILABLE).order_by(CouponCode.id)).all()


def void_for_refund(session, merchant_id, code_ids, member_id):
    """Void the still-available ones of these codes (a conditional UPDATE: one used at the till at the same
    moment stays used). Returns the ids voided."""
    if not code_ids:
        return []
    return session.scalars(update(CouponCode).where(
        CouponCode.merchant_id == merchant_id, CouponCode.id.in_(code_ids), CouponCode.member_id == member_id,
        CouponCode.state == rules.AVAILABLE).values(state=rules.VOIDED).returning(CouponCode.id)
        .execution_options(synchronize_session=False)).all()
