"""Giving a gift card to a friend: a one-time link valid 24 hours (only its token's hash is stored), cancelled by
the giver or accepted by the friend, and an expired link closed with its card put back to active.

A transfer ends the giver's row ('transferred') and opens a new row for the friend that points at the same
wallet. Transfer rows are locked before the card everywhere (accept, cancel, void), so they never deadlock.
"""
import hashlib
import secrets

from sqlalchemy import update

from domain import cards as card_rules
from domain import coupons as code_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.clock import now_utc
from domain.errors import Conflict, NotFound
from models import Card, Member, Transfer
from services.cards import gift_holdings, gift_states
from services.shared.tenancy import get_owned, scoped


class TransferExpired(Conflict):
    """The link is past its 24 hours; the card was put back to active in this transaction (commit it)."""

    code = "transfer_expired"


def token_hash(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def create_transfer(session, merchant, member_id, card_id, *, now=None):
    """Open a one-time link for the member's active card: (transfer, token). Only the token's hash is stored."""
    now = now or now_utc()
    card = gift_holdings.member_card(session, merchant.id, member_id, card_id)
    if card.ends_at is not None and now >= card.ends_at:
        raise Conflict("礼品卡已过期，不能转赠")
    gift_states.move(session, card, card_rules.ACTIVE, card_rules.TRANSFERRING)
    token = secrets.token_urlsafe(24)
    transfer = Transfer(merchant_id=merchant.id, instrument_type="gift_card", card_id=card.id,
                        from_member_id=member_id, token_hash=token_hash(token),
                        expires_at=rules.transfer_expires_at(now), created_at=now)
    session.add(transfer)
    session.flush()
    return transfer, token


def open_transfer(session, merchant_id, card_id):
    """The card's link still waiting for a friend, or None."""
    return session.scalars(scoped(Transfer, merchant_id).where(
        Transfer.card_id == card_id, Transfer.accepted_at.is_(None), Transfer.cancelled_at.is_(None))
        .order_by(Transfer.id.desc()).limit(1)).first()


def transfer_for_token(session, merchant_id, token, *, lock=False):
    query = scoped(Transfer, merchant_id).where(Transfer.token_hash == token_hash(token),
                                                Transfer.instrument_type == "gift_card")
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    transfer = session.scalars(query).one_or_none()
    if transfer is None:
        raise NotFound("链接无效")
    return transfer


def release_if_expired(session, transfer, now):
    """An expired, unused link closes and its card goes back to active for the giver. True if it did."""
    if transfer.accepted_at is not None or transfer.cancelled_at is not None:
        return False
    if not rules.transfer_expired(transfer.expires_at, now):
        return False
    return _close_transfer(session, transfer, now)


def release_expired_link(session, card, now):
    """A card waiting on a link that has expired is active again (the till reads it so before spending)."""
    if card.state != card_rules.TRANSFERRING:
        return
    transfer = open_transfer(session, card.merchant_id, card.id)
    if transfer is not None and release_if_expired(session, transfer, now):
        session.expire(card)


def _close_transfer(session, transfer, now):
    closed = session.execute(
        update(Transfer).where(Transfer.id == transfer.id, Transfer.accepted_at.is_(None),
                               Transfer.cancelled_at.is_(None))
        .values(cancelled_at=now).execution_options(synchronize_session=False)).rowcount
    if closed == 1:
        session.execute(update(Card).where(Card.id == transfer.card_id, Card.state == card_rules.TRANSFERRING)
                        .values(state=card_rules.ACTIVE).execution_options(synchronize_session=False))
    session.expire(transfer)
    return closed == 1


def cancel_transfer(session, merchant, member_id, card_id, *, now=None):
    """The giver takes the card back before the friend accepts."""
    now = now or now_utc()
    card = gift_holdings.member_card(session, merchant.id, member_id, card_id)
    transfer = open_transfer(session, merchant.id, card.id)
    if transfer is None or not _close_transfer(session, transfer, now):
        session.expire(card)
        raise Conflict("转赠已被领取或已取消")
    session.expire(card)
    return card


def accept_transfer(session, merchant, member_id, token, *, now=None):
    """The friend takes the card: the giver's row ends as 'transferred', a new active row is theirs.

    The transfer row is locked, so of many concurrent accepts one wins and the others read 已被领取.
    """
    now = now or now_utc()
    friend = get_owned(session, Member, merchant.id, member_id)
    transfer = transfer_for_token(session, merchant.id, token, lock=True)
    if transfer.accepted_at is not None:
        raise Conflict("已被领取")
    if transfer.cancelled_at is not None:
        raise Conflict("链接已过期" if transfer.cancelled_at >= transfer.expires_at else "转赠已取消，链接已失效")
    if transfer.from_member_id == friend.id:
        raise Conflict("不能领取自己转赠的礼品卡")
    if release_if_expired(session, transfer, now):
        raise TransferExpired("链接已过期")
    old = get_owned(session, Card, merchant.id, transfer.card_id)
    gift_states.move(session, old, card_rules.TRANSFERRING, card_rules.TRANSFERRED, closed_at=now)
    new = Card(merchant_id=merchant.id, template_id=old.template_id, kind=GIFT, member_id=friend.id,
               code=code_rules.new_code(), state=card_rules.ACTIVE, channel="friend",
               idempotency_key=f"gift-transfer:{transfer.id}", face_value=old.face_value, theme=old.theme,
               wallet_id=old.wallet_id, activated_at=now, ends_at=old.ends_at, transferred_from_id=old.id,
               created_at=now)
    session.add(new)
    session.flush()
    transfer.accepted_at, transfer.accepted_by_id, transfer.new_card_id = now, friend.id, new.id
    session.flush()
    return new
