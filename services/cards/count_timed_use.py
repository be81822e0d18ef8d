"""Using a count or timed card at the till, and undoing a use.

Using a count card is one conditional UPDATE (`uses_left >= n AND state = 'active'`) that also flips the
card to used_up when the last use goes. Using a timed card happens under a row lock on the card, which
serialises its start and the count of today's uses (verifications of the merchant's local day, not undone).
Undo gives a count card's uses back with a conditional UPDATE; a timed card's use drops out of today's
count once its verification is marked undone (the card row is locked meanwhile, so the count stays exact).
"""
from sqlalchemy import case, or_, update

from domain import cards as card_rules
from domain import timed_cards as rules
from domain.cards import ACTIVE, COUNT, PENDING, TIMED, USED_UP
from domain.clock import now_utc
from domain.coupons import format_code
from domain.errors import Conflict, DomainError
from models import Card
from services.cards import count_timed_holdings
from services.cards import templates as card_templates
from services.shared import idempotency
from services.shared.tenancy import get_owned, merchant_timezone
from services.verification import records as verifications

INSTRUMENT_TYPES = {COUNT: "count_card", TIMED: "timed_card"}


def use(session, actor, card_id, *, store_id, method, key, quantity=None, amount_received=0, now=None):
    """Verify a count or timed card in a store: take uses, or one use of today's allowance. Replay-safe by key."""
    verifications.check_request(method, key)
    now = now or now_utc()
    store = verifications.actor_store(session, actor, store_id)
    card = count_timed_holdings.owned_card(session, actor.merchant_id, card_id)
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, card_id=card.id)
    if amount_received is None or amount_received < 0:
        raise DomainError("收款金额不能为负数")
    if card.kind == COUNT:
        taken = _take_uses(session, card, store, _quantity(quantity), now)
    else:
        taken = _use_timed(session, card, store, quantity, now)
    record = verifications.record(session, actor, store=store, instrument_type=INSTRUMENT_TYPES[card.kind],
                                  instrument_name=card.template.title, method=method, key=key,
                                  member_id=card.member_id, now=now, amount_received=amount_received,
                                  card_id=card.id, quantity=taken)
    session.expire(card)
    return record


def _quantity(quantity):
    n = 1 if quantity in (None, "") else quantity
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise DomainError("核销次数须为正整数")
    return n


def _take_uses(session, card, store, n, now):
    reason = why_not(session, card, store.id, now, wanted=n)
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == ACTIVE, Card.uses_left >= n,
                           or_(Card.ends_at.is_(None), Card.ends_at > now))
        .values(uses_left=Card.uses_left - n,
                state=case((Card.uses_left == n, USED_UP), else_=ACTIVE),
                closed_at=case((Card.uses_left == n, now), else_=None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        session.refresh(card)
        raise Conflict(why_not(session, card, store.id, now, wanted=n) or "次卡状态已变化，请重试",
                       code=card.code, state=card.state)
    return n


def _use_timed(session, card, store, quantity, now):
    if quantity not in (None, "", 1):
        raise DomainError("时长卡每次核销 1 次")
    card = get_owned(session, Card, card.merchant_id, card.id, lock=True)  # serialises today's count and the start
    reason = why_not(session, card, store.id, now)
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    if card.state == PENDING:
        starts, ends = (card.starts_at, card.ends_at) if card.starts_at else rules.started_window(now, card.days)
        done = session.execute(
            update(Card).where(Card.id == card.id, Card.state == PENDING)
            .values(state=card_rules.move(TIMED, PENDING, ACTIVE), starts_at=starts, ends_at=ends)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            raise Conflict("时长卡状态已变化，请重试", code=card.code)
    return 1


def why_not(session, card, store_id, now, wanted=1):
    """None when the card can be used in this store now; otherwise the reason, in Chinese."""
    template, tz_name = card.template, merchant_timezone(session, card.merchant_id)
    target = session.get(Card, card.extended_into_id) if card.extended_into_id else None
    counted = card.kind == TIMED and card.daily_limit
    usage = rules.Usage(
        kind=card.kind, state=card.state, starts_at=card.starts_at, ends_at=card.ends_at,
        store_ok=card_templates.valid_in(template, store_id),
        uses_left=card.uses_left, wanted=wanted, daily_limit=card.daily_limit,
        used_today=count_timed_holdings.used_today(session, card, now, tz_name) if counted else 0,
        photo_required=template.photo_required, has_photo=bool(card.photo_path),
        extended_into=format_code(target.code) if target is not None else None)
    return rules.why_not_usable(usage, now, tz_name)


def undo_use(session, staff, record, now=None):
    """Reverse one use (services.verification.instruments.undo has checked who and when, and marks the record)."""
    card = get_owned(session, Card, staff.merchant_id, record.card_id, lock=True)
    if card.kind == TIMED:
        return  # today's count leaves out undone records; the lock keeps a concurrent use from miscounting
    n = record.quantity or 1
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_((ACTIVE, USED_UP)),
                           Card.uses_left + n <= Card.uses_total)
        .values(uses_left=Card.uses_left + n, state=ACTIVE, closed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict("次卡状态已变化，不能撤销")
    session.expire(card)
