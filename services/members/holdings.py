"""What a member holds: for the merchant's member page, coupons and cards of every kind, newest first; for the
member centre's tiles, how many of each are usable and the balance left on gift cards.

The counts are a handful of aggregate queries on indexed columns (member and state), scoped to the merchant. They
follow the same rules as the pages the tiles open: a coupon is usable while available and not past its end, a count
or timed card while active or pending and not past its end, a benefit card while active, started and not ended, a
gift card's balance while it is activated or waiting for activation. A paid membership (a benefit card the member
sees as membership) is listed as 付费会员 and not counted among benefit cards.
"""
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from domain import cards as card_rules
from domain import coupons as coupon_rules
from domain.clock import now_utc
from models import Card, CardTemplate, CouponCode, Wallet

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
    return [Holding(_kind_label(c), c.template.title, c.code,
                    card_rules.state_label(c.kind, c.state), _card_summary(c), c.created_at, c.ends_at) for c in rows]


def _kind_label(card):
    return "付费会员" if card.template.membership else card_rules.KIND_LABELS.get(card.kind, card.kind)


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


@dataclass(frozen=True)
class HeldCounts:
    coupons: int
    count_timed_cards: int
    benefit_cards: int
    gift_balance: int  # fen, summed over the member's usable gift cards
    gift_cards: int


def counted(session, merchant_id, member_id, now):
    """How many usable coupons and cards the member holds, and the balance left on their gift cards."""
    coupons = session.scalar(select(func.count()).select_from(CouponCode).where(
        CouponCode.merchant_id == merchant_id, CouponCode.member_id == member_id,
        CouponCode.state == coupon_rules.AVAILABLE, CouponCode.ends_at > now)) or 0
    not_ended = or_(Card.ends_at.is_(None), Card.ends_at > now)
    plans = select(CardTemplate.id).where(CardTemplate.merchant_id == merchant_id, CardTemplate.membership.is_(True))
    by_kind = dict(session.execute(select(Card.kind, func.count()).where(
        Card.merchant_id == merchant_id, Card.member_id == member_id, Card.extended_into_id.is_(None), not_ended,
        or_(and_(Card.kind.in_((card_rules.COUNT, card_rules.TIMED)),
                 Card.state.in_((card_rules.ACTIVE, card_rules.PENDING))),
            and_(Card.kind == card_rules.BENEFIT, Card.state == card_rules.ACTIVE,
                 or_(Card.starts_at.is_(None), Card.starts_at <= now), Card.template_id.not_in(plans))))
        .group_by(Card.kind)).all())
    gift_count, gift_balance = session.execute(
        select(func.count(Card.id), func.coalesce(func.sum(Wallet.principal + Wallet.bonus), 0))
        .select_from(Card).join(Wallet, and_(Wallet.id == Card.wallet_id, Wallet.merchant_id == merchant_id))
        .where(Card.merchant_id == merchant_id, Card.member_id == member_id, Card.kind == card_rules.GIFT,
               Card.state.in_((card_rules.ACTIVE, card_rules.CLAIMED)), not_ended)).one()
    return HeldCounts(coupons=coupons,
                    count_timed_cards=by_kind.get(card_rules.COUNT, 0) + by_kind.get(card_rules.TIMED, 0),
                    benefit_cards=by_kind.get(card_rules.BENEFIT, 0), gift_balance=int(gift_balance),
                    gift_cards=gift_count)
