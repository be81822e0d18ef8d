"""Spending a gift card at the till, and undoing a spend.

Spending first takes the card row with a conditional update (state must still be 'active'), so a spend and a
transfer of the same card are serialised and never both happen on one state; then the card's wallet is debited
through the stored-value journal, and the card is used up when its balance reaches zero.
"""
import hashlib

from sqlalchemy import update

from domain import cards as card_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound
from models import Card
from services.cards import gift_states, gift_transfer
from services.cards import templates as card_templates
from services.shared.tenancy import get_owned
from services.verification import records as verifications
from services.wallet import journal as wallet


def spend(session, actor, card_id, *, store_id, method, key, amount, amount_received=0, now=None):
    """Take `amount` fen from an active card. The card row is taken (still active) before the wallet is debited."""
    verifications.check_request(method, key)
    now = now or now_utc()
    store = verifications.actor_store(session, actor, store_id)
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        return earlier
    card = get_owned(session, Card, actor.merchant_id, card_id)
    if card.kind != GIFT:
        raise NotFound("券码不存在")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("请填写扣减金额")
    gift_transfer.release_expired_link(session, card, now)
    reason = rules.why_not_spendable(card.state, card.ends_at, now, card_templates.valid_in(card.template, store.id))
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    if not _take(session, card, (card_rules.ACTIVE,)):
        raise Conflict(rules.why_not_spendable(card.state, None, now, True) or "礼品卡状态已变化，请重试",
                       code=card.code, state=card.state)
    earlier = verifications.replay(session, actor, key)  # a twin request may have finished while we waited
    if earlier is not None:
        return earlier
    operator = None if verifications.is_api_key(actor) else actor
    txn = wallet.debit(session, actor.merchant_id, card.wallet_id, amount, key=_ledger_key("gift-spend", key),
                       reference=("gift_card", card.id), operator=operator, store_id=store.id, note="礼品卡消费")
    if txn.principal_after + txn.bonus_after == 0:
        gift_states.move(session, card, card_rules.ACTIVE, card_rules.USED_UP, closed_at=now)
    record = verifications.record(session, actor, store=store, instrument_type="gift_card",
                                  instrument_name=card.template.title, method=method, key=key,
                                  member_id=card.member_id, now=now, amount_received=amount_received,
                                  card_id=card.id, amount_taken=amount, wallet_transaction_id=txn.id)
    session.expire(card)
    return record


def undo_spend(session, staff, record, now=None):
    """Give the spend back to the card's wallet and reopen the card if that spend emptied it."""
    card = get_owned(session, Card, staff.merchant_id, record.card_id)
    if not _take(session, card, (card_rules.ACTIVE, card_rules.USED_UP)):
        raise Conflict(f"礼品卡{rules.state_label(card.state)}，不能撤销")
    wallet.refund_debit(session, staff.merchant_id, record.wallet_transaction_id, record.amount_taken,
                        key=f"gift-undo:{record.id}", reference=("verification", record.id), operator=staff,
                        store_id=record.store_id, note="撤销礼品卡消费")
    if card.state == card_rules.USED_UP:
        gift_states.move(session, card, card_rules.USED_UP, card_rules.ACTIVE, closed_at=None)


def _take(session, card, states):
    """Lock the card row if it is still in one of `states` (a conditional update, so waits see the new state)."""
    taken = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(states)).values(state=Card.state)
        .returning(Card.id).execution_options(synchronize_session=False)).one_or_none()
    session.expire(card)
    return taken is not None


def _ledger_key(prefix, key):
    """A journal key derived from a request key of any allowed length, within the 100-character limit."""
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:48]}"
