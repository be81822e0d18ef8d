"""What a member holds, for the merchant's member page: coupons and cards of every kind, newest first."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from domain import cards as card_rules
from domain import coupons as coupon_rules
from domain.clock import now_utc
from models import Card, CouponCode

COUPON_LIMIT = 50


@dataclass(frozen=True)
class Holding:
    kind_label: str
    title: str
    code: str
    state_label: str
    summary: str  # uses left, balance or validity, already in Chinese
    issued_at: object
    ends_at: object


def holdings(session, merchant_id, member_id, now=None):
    now = now or now_utc()
    return _cards(session, merchant_id, member_id) + _coupons(session, merchant_id, member_id, now)


def _cards(session, merchant_id, member_id):
    rows = session.scalars(select(Card).where(Card.merchant_id == merchant_id, Card.member_id == member_id)
                           .options(selectinload(Card.template), selectinload(Card.wallet))
                           .order_by(Card.id.desc())).all()
    return [Holding(card_rules.KIND_LABELS.get(c.kind, c.kind), c.template.title, c.code,
                    card_rules.state_label(c.kind, c.state), _card_summary(c), c.created_at, c.ends_at) for c in rows]


def _card_summary(card):
    if card.kind == card_rules.COUNT and card.uses_total:
        return f"剩余 {card.uses_left}/{card.uses_total} 次"
    if card.kind == card_rules.GIFT and card.wallet is not None:
        return f"余额 ¥{card.wallet.balance / 100:.2f}"
    if card.kind == card_rules.TIMED and card.days:
        return f"{card.days} 天" + ("" if card.starts_at else "（未开始）")
    return ""


def _coupons(session, merchant_id, member_id, now):
    rows = session.scalars(select(CouponCode).where(CouponCode.merchant_id == merchant_id,
                                                    CouponCode.member_id == member_id)
                           .options(selectinload(CouponCode.template))
                           .order_by(CouponCode.id.desc()).limit(COUPON_LIMIT)).all()
    return [Holding(coupon_rules.KIND_LABELS.get(c.template.kind, "优惠券"), c.template.title, c.code,
                    _coupon_state(c, now), "", c.created_at, c.ends_at) for c in rows]


def _coupon_state(code, now):
    if code.state == coupon_rules.AVAILABLE and code.ends_at <= now:
        return coupon_rules.STATE_LABELS[coupon_rules.EXPIRED]
    return coupon_rules.STATE_LABELS.get(code.state, code.state)
