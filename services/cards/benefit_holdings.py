"""Reading benefit cards: one card of the merchant's, a template's holders, and a member's cards with the pack
coupons each granted."""
from sqlalchemy import select

from domain.cards import BENEFIT
from domain.errors import NotFound
from models import Card, CardTemplate, CouponCode
from services.cards import benefit_templates
from services.shared.tenancy import get_owned, scoped


def get_card(session, merchant_id, card_id):
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind != BENEFIT:
        raise NotFound("记录不存在")
    return card


def holders(session, merchant_id, template_id):
    template = benefit_templates.get_template(session, merchant_id, template_id)
    return template, session.scalars(scoped(Card, merchant_id).where(Card.template_id == template.id)
                                     .order_by(Card.created_at.desc(), Card.id.desc())).all()


def member_cards(session, merchant_id, member_id):
    """A member's benefit cards, newest first, each with the pack coupons it granted: [(card, [codes])]. A paid
    membership is not among them: the member sees it as membership (services/cards/membership_holdings.py)."""
    plans = select(CardTemplate.id).where(CardTemplate.merchant_id == merchant_id, CardTemplate.membership.is_(True))
    cards = session.scalars(scoped(Card, merchant_id).where(Card.member_id == member_id, Card.kind == BENEFIT,
                                                            Card.template_id.not_in(plans))
                            .order_by(Card.created_at.desc(), Card.id.desc())).all()
    codes = {}
    if cards:
        for code in session.scalars(scoped(CouponCode, merchant_id)
                                    .where(CouponCode.source_card_id.in_([c.id for c in cards]))
                                    .order_by(CouponCode.id)):
            codes.setdefault(code.source_card_id, []).append(code)
    return [(card, codes.get(card.id, [])) for card in cards]


def order_id_of(card):
    """The order a benefit card (a paid membership too) was bought with (its key is the order's,
    services/orders/fulfilment.py), where its money is refunded through the channel; None for a card given by
    staff."""
    parts = (card.idempotency_key or "").split(":")
    if len(parts) == 3 and parts[0] == "order" and parts[1].isdigit() and parts[2] == "benefit":
        return int(parts[1])
    return None
