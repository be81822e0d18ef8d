"""Benefit cards as the staff page and the API see them: the adapter that services/verification/instruments.py
lists. Their discounts and multipliers apply at checkout, so scanning one shows the card and its benefits and
verifying it is refused with that explanation."""
from sqlalchemy import or_

from domain import benefit_cards as rules
from domain import cards as card_rules
from domain.cards import BENEFIT
from domain.clock import until_text
from domain.errors import Conflict
from models import Card
from services.cards import benefit_holdings, benefit_texts
from services.cards import templates as card_templates
from services.shared.tenancy import merchant_timezone, scoped
from services.verification.lookup import Lookup


class _BenefitCardInstrument:
    """Benefit cards as the staff page and the API see them (see services/verification/instruments.py).

    Their discounts and multipliers apply at checkout, so scanning one shows the card and its benefits
    and verifying it is refused with that explanation.
    """

    kind = "benefit_card"
    AT_CHECKOUT = "权益卡的折扣和积分倍数在收银结账时自动享受，无需逐次核销"

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind == BENEFIT)).one_or_none()

    def describe(self, session, card, store_id, now):
        template = card.template
        tz = merchant_timezone(session, card.merchant_id)
        details = benefit_texts.benefit_lines(session, template) + [("有效期至", until_text(card.ends_at, tz))]
        if not template.all_stores:
            details.append(("适用门店", "、".join(s.name for s in template.stores)))
        in_force = rules.in_force(card.state, card.starts_at, card.ends_at, now)
        if not in_force:
            reason = f"该权益卡{benefit_texts.state_text(card, now)}"
        elif store_id is not None and not card_templates.valid_in(template, store_id):
            reason = "该权益卡不适用于本门店"
        else:
            reason = self.AT_CHECKOUT
        kind_label = "付费会员" if template.membership else card_rules.KIND_LABELS[BENEFIT]
        return Lookup(kind=self.kind, kind_label=kind_label, id=card.id, code=card.code,
                      title=template.title, state=card.state, state_label=benefit_texts.state_text(card, now),
                      reason=reason, member=card.member, details=details)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        benefit_holdings.get_card(session, actor.merchant_id, row_id)
        raise Conflict(self.AT_CHECKOUT)

    def undo(self, session, staff, record, now):
        raise Conflict("权益卡没有核销记录可撤销")

    def held_by(self, session, member, store_id, now):
        cards = session.scalars(scoped(Card, member.merchant_id)
                                .where(Card.member_id == member.id, Card.kind == BENEFIT,
                                       Card.state == card_rules.ACTIVE,
                                       or_(Card.ends_at.is_(None), Card.ends_at > now))
                                .order_by(Card.id)).all()
        return [self.describe(session, card, store_id, now) for card in cards]


INSTRUMENT = _BenefitCardInstrument()
