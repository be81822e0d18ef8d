"""The merchant voids a gift card that still has value for someone; a link waiting for a friend closes with it."""
from sqlalchemy import select, update

from domain import cards as card_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.clock import now_utc
from domain.errors import Conflict, NotFound
from models import Card, Transfer
from services.merchant import audit
from services.shared.tenancy import get_owned
from services.shared.text import optional_text


def void(session, actor, card_id, *, reason=None, ip=None, now=None):
    """The merchant voids a card that still has value for someone; an open link closes with it."""
    now = now or now_utc()
    card = get_owned(session, Card, actor.merchant_id, card_id)
    if card.kind != GIFT:
        raise NotFound("记录不存在")
    reason = optional_text(reason, "作废原因", 200)
    before = card.state
    # Transfer rows first, then the card: the same order as cancel and accept, so they cannot deadlock.
    session.execute(select(Transfer.id).where(Transfer.card_id == card.id).with_for_update())
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(rules.VOIDABLE))
        .values(state=card_rules.VOIDED, closed_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(f"礼品卡{rules.state_label(card.state)}，不能作废")
    session.execute(update(Transfer).where(Transfer.card_id == card.id, Transfer.accepted_at.is_(None),
                                           Transfer.cancelled_at.is_(None))
                    .values(cancelled_at=now).execution_options(synchronize_session=False))
    audit.record(session, actor, "gift_card.void", "card", card.id, before={"state": before},
                 after={"state": card_rules.VOIDED, "reason": reason}, ip=ip)
    session.flush()
    return card
