"""Who holds a paid membership (付费会员) and until when: a member's own (running, or the last one that ended), and
the merchant's list of holders. A membership is a benefit card of a plan (services/cards/membership_plans.py); a
renewal folds the running card into a new one that ends later, so the card in force is the one to read."""
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from domain import cards as card_rules
from domain.benefit_cards import in_force
from domain.cards import BENEFIT
from domain.errors import Conflict
from models import Card, CardTemplate
from services.shared.tenancy import scoped


@dataclass(frozen=True)
class Membership:
    """A member's paid membership as they read it: the card in force (or the last one), its plan, until when."""

    card: object
    plan: object
    ends_at: object
    active: bool


def _membership_cards(merchant_id):
    return (scoped(Card, merchant_id).join(CardTemplate, CardTemplate.id == Card.template_id)
            .where(Card.kind == BENEFIT, CardTemplate.membership.is_(True)))


def running(session, merchant_id, member_id, now):
    """The member's membership cards in force now, the one ending last first."""
    return session.scalars(_membership_cards(merchant_id).where(
        Card.member_id == member_id, Card.state == card_rules.ACTIVE,
        or_(Card.starts_at.is_(None), Card.starts_at <= now), or_(Card.ends_at.is_(None), Card.ends_at > now))
        .options(selectinload(Card.template)).order_by(Card.ends_at.desc(), Card.id.desc())).all()


def of_member(session, merchant_id, member_id, now):
    """The member's membership in force (ending last), else the last one they held that ended, else None."""
    cards = running(session, merchant_id, member_id, now)
    if cards:
        return Membership(cards[0], cards[0].template, cards[0].ends_at, True)
    last = session.scalars(_membership_cards(merchant_id).where(
        Card.member_id == member_id, Card.extended_into_id.is_(None))
        .options(selectinload(Card.template)).order_by(Card.id.desc()).limit(1)).first()
    if last is None:
        return None
    lapsed = last.state in (card_rules.ACTIVE, card_rules.EXPIRED)  # ran to its end; else taken back earlier
    return Membership(last, last.template, last.ends_at if lapsed else last.closed_at, False)


def check_may_buy(session, merchant_id, member_id, plan, now):
    """One plan at a time: while a membership runs, only the same plan can be bought again (续费, which extends it).
    Raised at pricing, so the member reads why before paying."""
    other = next((card for card in running(session, merchant_id, member_id, now) if card.template_id != plan.id),
                 None)
    if other is not None:
        raise Conflict(f"您的付费会员「{other.template.title}」生效中，到期前只能续费该方案")


def holders_query(merchant_id, *, plan_id=None, only_active=True, now):
    """Membership cards of the merchant (of one plan), the latest first, for the back office to page through;
    with `only_active` those in force now. A card a renewal folded into a newer one is left out: the newer one
    carries its days."""
    query = _membership_cards(merchant_id).where(Card.extended_into_id.is_(None))
    if plan_id is not None:
        query = query.where(Card.template_id == plan_id)
    if only_active:
        query = query.where(Card.state == card_rules.ACTIVE, or_(Card.ends_at.is_(None), Card.ends_at > now))
    return query.options(selectinload(Card.template), selectinload(Card.member)).order_by(Card.id.desc())


def active_counts(session, merchant_id, now):
    """{plan id: members holding it now}, for the plan list."""
    return dict(session.execute(
        select(Card.template_id, func.count(func.distinct(Card.member_id)))
        .join(CardTemplate, CardTemplate.id == Card.template_id)
        .where(Card.merchant_id == merchant_id, Card.kind == BENEFIT, CardTemplate.membership.is_(True),
               Card.state == card_rules.ACTIVE, or_(Card.ends_at.is_(None), Card.ends_at > now))
        .group_by(Card.template_id)).all())


def is_active(card, now):
    return in_force(card.state, card.starts_at, card.ends_at, now)
