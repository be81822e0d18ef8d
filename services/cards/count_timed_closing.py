"""Ending a count or timed card before its time: the merchant voids it, or the order that bought it is refunded
(services.orders.refunds). Both are conditional UPDATEs from the states that may move there, so a close racing a
use or another close happens once."""
from sqlalchemy import update

from domain import cards as card_rules
from domain.cards import VOIDED
from domain.clock import now_utc
from domain.errors import Conflict, NotFound
from models import Card
from services.cards import count_timed_holdings
from services.cards.count_timed_templates import KINDS
from services.merchant import audit
from services.shared.tenancy import get_owned


def void(session, actor, card_id, now=None, ip=None):
    """Void a card the member still holds (conditional on its state), with an audit entry."""
    now = now or now_utc()
    card = count_timed_holdings.owned_card(session, actor.merchant_id, card_id)
    sources = [state for state, targets in card_rules.TRANSITIONS[card.kind].items() if VOIDED in targets]
    before = card.state
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(sources), Card.extended_into_id.is_(None))
        .values(state=VOIDED, closed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        session.refresh(card)
        raise Conflict(f"该卡当前状态为「{card_rules.state_label(card.kind, card.state)}」，不能作废")
    audit.record(session, actor, "card.void", "card", card.id, before={"state": before},
                 after={"state": VOIDED}, ip=ip)
    session.flush()
    session.expire(card)
    return card


def close_for_refund(session, merchant_id, card_id, now=None):
    """Mark a bought count or timed card refunded: a conditional UPDATE from the states that may become
    refunded, so a refund racing a use or another refund closes it once. Conflict says why it cannot."""
    now = now or now_utc()
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind not in KINDS:
        raise NotFound("记录不存在")
    if card.extended_into_id is not None:
        raise Conflict("这次购买已续期到会员的另一张时长卡上，不能单独退款")
    sources = [state for state, targets in card_rules.TRANSITIONS[card.kind].items()
               if card_rules.REFUNDED in targets]
    closed = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(sources), Card.extended_into_id.is_(None))
        .values(state=card_rules.REFUNDED, closed_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if closed != 1:
        raise Conflict(f"该卡当前状态为「{card_rules.state_label(card.kind, card.state)}」，不能退款")
    return card
