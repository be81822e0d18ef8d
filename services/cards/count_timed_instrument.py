"""Count and timed cards as the staff page and the API see them: the adapter that
services/verification/instruments.py lists (find by code, describe with the allowance and the member's photo,
use, undo a use, what a member holds)."""
from domain import cards as card_rules
from domain.cards import COUNT, TIMED
from models import Card
from services.cards import count_timed_holdings, count_timed_photos, count_timed_use
from services.cards.count_timed_templates import KINDS
from services.shared.tenancy import scoped
from services.verification.lookup import Lookup


class _CardInstrument:
    """Count and timed cards as the staff page and the API see them (see services/verification/instruments.py)."""

    kind = "count_card"
    kinds = ("count_card", "timed_card")

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind.in_(KINDS))).one_or_none()

    def describe(self, session, card, store_id, now):
        template = card.template
        details = count_timed_holdings.summary(session, card, now)
        if template.notes:
            details.append(("使用说明", template.notes))
        photo_url = (count_timed_photos.photo_url(session, card) if card.kind == TIMED and template.photo_required
                     else None)
        return Lookup(kind=count_timed_use.INSTRUMENT_TYPES[card.kind], kind_label=card_rules.KIND_LABELS[card.kind],
                      id=card.id, code=card.code, title=template.title, state=card.state,
                      state_label=card_rules.state_label(card.kind, card.state),
                      reason=count_timed_use.why_not(session, card, store_id, now), member=card.member,
                      details=details, take="uses" if card.kind == COUNT else None,
                      take_max=card.uses_left if card.kind == COUNT else None, photo_url=photo_url)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return count_timed_use.use(session, actor, row_id, store_id=store_id, method=method, key=key,
                                   quantity=quantity, amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        count_timed_use.undo_use(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        usable, _finished = count_timed_holdings.member_cards(session, member.merchant_id, member.id, now)
        return [self.describe(session, card, store_id, now) for card in usable]


INSTRUMENT = _CardInstrument()
