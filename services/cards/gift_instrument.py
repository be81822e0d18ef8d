"""Gift cards as the staff page and the API see them: the adapter that services/verification/instruments.py
lists (find by code, describe with the balance, spend an amount, undo a spend, what a member holds)."""
from domain import cards as card_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.clock import until_text
from domain.money import format_yuan
from models import Card
from services.cards import gift_holdings, gift_spend, gift_transfer
from services.cards import templates as card_templates
from services.shared.tenancy import merchant_timezone, scoped
from services.verification.lookup import Lookup


class _GiftCardInstrument:
    kind = "gift_card"

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind == GIFT)).one_or_none()

    def describe(self, session, card, store_id, now):
        gift_transfer.release_expired_link(session, card, now)
        left = gift_holdings.balance(session, card)
        holder = card.member
        details = [("面值", f"¥{format_yuan(card.face_value)}"), ("余额", f"¥{format_yuan(left)}")]
        if holder is None:
            details.append(("持卡人", "未绑定"))
        if card.ends_at is not None:
            tz_name = merchant_timezone(session, card.merchant_id)
            details.append(("有效期至", until_text(card.ends_at, tz_name)))
        return Lookup(kind=self.kind, kind_label=card_rules.KIND_LABELS[GIFT], id=card.id, code=card.code,
                      title=card.template.title, state=card.state, state_label=rules.state_label(card.state),
                      reason=rules.why_not_spendable(card.state, card.ends_at, now,
                                                     card_templates.valid_in(card.template, store_id)),
                      member=holder, details=details, take="amount", take_max=left)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return gift_spend.spend(session, actor, row_id, store_id=store_id, method=method, key=key, amount=amount,
                                amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        gift_spend.undo_spend(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        rows = session.scalars(scoped(Card, member.merchant_id).where(
            Card.member_id == member.id, Card.kind == GIFT, Card.state == card_rules.ACTIVE)
            .order_by(Card.id)).all()
        return [self.describe(session, card, store_id, now) for card in rows]


INSTRUMENT = _GiftCardInstrument()
