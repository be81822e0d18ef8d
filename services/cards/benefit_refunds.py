"""Taking a benefit card back (owner/admin): a conditional update active -> refunded, optionally voiding the card's
unused pack coupons in one conditional update, with the refund recorded; and the list of refunds. A paid
membership taken back also gives back its level (services/cards/membership_levels.py). Money handed back here
(offline) for a card bought online takes back the sale's commission in proportion."""
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from domain import benefit_cards as rules
from domain import cards as card_rules
from domain import coupons as code_rules
from domain.cards import BENEFIT
from domain.clock import now_utc
from domain.errors import Conflict, PermissionDenied
from models import Card, CardRefund, CardTemplate, CouponCode
from services.cards import benefit_holdings, benefit_texts, membership_levels
from services.merchant import audit
from services.recruitment import commission
from services.shared import idempotency
from services.shared.tenancy import scoped
from services.shared.text import optional_text


def refund(session, actor, card_id, *, with_money, amount, take_back_coupons, reason, key, now=None,
           by_order_refund=False):
    """Take a card back (owner/admin), recording the amount handed back offline. `by_order_refund`: called by an
    order's refund (services/orders/refunds.py), which gives the money back through the channel and takes back
    the commission itself."""
    if not actor.can("cards.refund"):
        raise PermissionDenied("只有店主或管理员可以退卡")
    idempotency.check_key(key)
    now = now or now_utc()
    existing = idempotency.find_existing(session, CardRefund, actor.merchant_id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, card_id=int(card_id))
    card = benefit_holdings.get_card(session, actor.merchant_id, card_id)
    amount = rules.check_refund_amount(with_money, amount, card.price_paid)
    reason = optional_text(reason, "退卡原因", 200)
    if card.state == card_rules.ACTIVE and card.ends_at is not None and card.ends_at <= now:
        raise Conflict("该权益卡已过期，不能退卡")
    membership_levels.lock_holder(session, card)
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == card_rules.ACTIVE)
        .values(state=card_rules.move(BENEFIT, card_rules.ACTIVE, card_rules.REFUNDED), closed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        earlier = idempotency.find_existing(session, CardRefund, actor.merchant_id, key)
        if earlier is not None:  # the same request won concurrently
            return earlier
        session.expire(card)
        raise Conflict(f"该权益卡当前状态为「{benefit_texts.state_text(card, now)}」，不能退卡")
    taken = 0
    if take_back_coupons:
        taken = session.execute(
            update(CouponCode).where(CouponCode.merchant_id == actor.merchant_id, CouponCode.source_card_id == card.id,
                                     CouponCode.state == code_rules.AVAILABLE)
            .values(state=code_rules.move(code_rules.AVAILABLE, code_rules.VOIDED))
            .execution_options(synchronize_session=False)).rowcount
    row = CardRefund(merchant_id=actor.merchant_id, card_id=card.id, member_id=card.member_id,
                     with_money=bool(with_money), amount=amount, coupons_taken_back=taken, reason=reason,
                     staff_id=actor.id, idempotency_key=key, created_at=now)
    session.add(row)
    session.flush()
    order_id = benefit_holdings.order_id_of(card)
    if amount > 0 and order_id is not None and not by_order_refund:
        commission.reverse_for_card_refund(session, card, row, order_id, now)
    if card.template.membership and card.member_id is not None:
        membership_levels.ended(session, actor.merchant_id, card.member_id, card.template, now, "paid_refund")
    session.expire(card)
    audit.record(session, actor, "benefit_card.refund", "card", card.id, {"state": card_rules.ACTIVE},
                 {"state": card_rules.REFUNDED, "with_money": bool(with_money), "amount": amount,
                  "coupons_taken_back": taken})
    return row


def refunds(session, merchant_id, limit=500, *, membership=False):
    """The newest refund records with their card, template, member and staff loaded for the list: of benefit
    cards, or with `membership` of paid memberships."""
    card = selectinload(CardRefund.card)
    return session.scalars(scoped(CardRefund, merchant_id)
                           .join(Card, Card.id == CardRefund.card_id)
                           .join(CardTemplate, CardTemplate.id == Card.template_id)
                           .where(CardTemplate.membership.is_(bool(membership)))
                           .options(card.selectinload(Card.template), card.selectinload(Card.member),
                                    selectinload(CardRefund.staff))
                           .order_by(CardRefund.created_at.desc(), CardRefund.id.desc()).limit(limit)).all()
