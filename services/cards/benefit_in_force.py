"""The benefits in force for a member at the till: the best of their benefit cards running now (optionally valid in
one store). Every till payment asks, so a merchant without benefit cards is answered from memory."""
from sqlalchemy import or_, select

from domain import benefit_cards as rules
from domain import cards as card_rules
from domain.cards import BENEFIT
from domain.clock import now_utc
from models import Card, CardTemplate
from services.cards import templates as card_templates
from services.shared import merchant_memory


def active_benefits(session, member, now=None, store_id=None):
    """The best benefits of the member's cards in force now (optionally usable in one store).

    Empty once every card has expired, been refunded or voided: the member is back on their level's benefits.
    """
    now = now or now_utc()
    if not _merchant_has_benefit_cards(session, member.merchant_id):
        return rules.best_of([])  # every till payment asks; most merchants have none
    query = (select(CardTemplate).join(Card, Card.template_id == CardTemplate.id)
             .where(Card.merchant_id == member.merchant_id, Card.member_id == member.id, Card.kind == BENEFIT,
                    Card.state == card_rules.ACTIVE, or_(Card.starts_at.is_(None), Card.starts_at <= now),
                    or_(Card.ends_at.is_(None), Card.ends_at > now)))
    grants = []
    for template in session.scalars(query).all():
        if store_id is not None and not card_templates.valid_in(template, store_id):
            continue
        grants.append(rules.Benefits(template.discount_percent, template.points_multiplier or 100,
                                     tuple(template.free_items or ())))
    return rules.best_of(grants)


merchant_memory.watch(CardTemplate, "has_benefit_cards")


def _merchant_has_benefit_cards(session, merchant_id):
    return merchant_memory.recall("has_benefit_cards", merchant_id, lambda: session.scalar(
        select(select(CardTemplate.id).where(CardTemplate.merchant_id == merchant_id, CardTemplate.kind == BENEFIT)
               .exists())))
