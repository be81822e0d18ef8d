"""The conditional state change every gift card module makes: a card moves from the state it was read in to the
next one only if nobody moved it first (binding, activation, transfer and spending all go through `move`)."""
from sqlalchemy import update

from domain import cards as card_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.errors import Conflict
from models import Card


def move(session, card, current, target, **values):
    """current -> target as a conditional update; Conflict (with the state found) when someone moved it first."""
    card_rules.move(GIFT, current, target)
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == current).values(state=target, **values)
        .execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(f"礼品卡当前状态为「{rules.state_label(card.state)}」，请刷新后重试", state=card.state)
