"""Reading gift cards: a member's cards (and one of them, checked as theirs), a card's balance and the journal of
its wallet, and a template's cards with their count by state for the back office."""
from sqlalchemy import func, select

from domain import cards as card_rules
from domain.cards import GIFT
from domain.errors import NotFound
from models import Card, Wallet, WalletTransaction
from services.shared.tenancy import get_owned, scoped


def member_cards(session, merchant_id, member_id):
    return session.scalars(scoped(Card, merchant_id).where(Card.member_id == member_id, Card.kind == GIFT)
                           .order_by(Card.id.desc())).all()


def member_card(session, merchant_id, member_id, card_id):
    """The member's own gift card; another member's (or merchant's) card is NotFound."""
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind != GIFT or card.member_id != member_id:
        raise NotFound("记录不存在")
    return card


def balance(session, card):
    if card.wallet_id is None:
        return 0
    purse = session.get(Wallet, card.wallet_id)
    return purse.balance if purse is not None else 0


def history(session, card, limit=50):
    """The card wallet's journal while this row held it, newest first.

    A transferred card shares its wallet with the friend's new row; neither sees the other's spending.
    """
    if card.wallet_id is None:
        return []
    query = select(WalletTransaction).where(WalletTransaction.merchant_id == card.merchant_id,
                                            WalletTransaction.wallet_id == card.wallet_id)
    if card.transferred_from_id is not None:
        query = query.where(WalletTransaction.created_at >= card.created_at)
    if card.state == card_rules.TRANSFERRED and card.closed_at is not None:
        query = query.where(WalletTransaction.created_at <= card.closed_at)
    return session.scalars(query.order_by(WalletTransaction.id.desc()).limit(limit)).all()


def template_cards(session, merchant_id, template_id, state=None, limit=500):
    """[(card, balance)] of one template, newest first, for the back office list."""
    query = (select(Card, Wallet.principal + Wallet.bonus).outerjoin(Wallet, Wallet.id == Card.wallet_id)
             .where(Card.merchant_id == merchant_id, Card.template_id == template_id, Card.kind == GIFT))
    if state:
        query = query.where(Card.state == state)
    return [(card, amount or 0) for card, amount in session.execute(query.order_by(Card.id.desc()).limit(limit))]


def state_counts(session, merchant_id, template_id):
    return dict(session.execute(select(Card.state, func.count()).where(
        Card.merchant_id == merchant_id, Card.template_id == template_id).group_by(Card.state)).all())
