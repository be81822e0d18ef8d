"""Sending marked members' totals to their cards, in batches.

A run claims up to BATCH due rows of a merchant for LEASE (a conditional update, committed before any call, so runs
on other workers take other rows and one member's calls never overlap), reads those members' totals as they are
now, calls WeChat once per held card, then deletes each row whose `changes` is still what it claimed. A row changed
during the call is released SETTLE later, so a burst of changes ends in one more call with the final totals, not
one per change. A failed call is tried again later and later (RETRY_AFTER), its reason kept on the row."""
import logging
import time
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, tuple_, update

from channels.wechat import client_for
from domain.clock import now_utc
from domain.errors import DomainError
from models import CardPackagePush, Merchant, WechatCardHolding, WechatMemberCard
from services.alipay_cards import updates as alipay_updates
from services.wechat_cards import updates

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(seconds=120)
SETTLE = timedelta(seconds=2)
RETRY_AFTER = (10, 60, 300, 900, 3600)  # seconds after the 1st, 2nd, ... failure; then hourly
MERCHANTS_PER_RUN = 500


def merchants_due(session, now):
    """Merchants with a member whose push is due and not claimed."""
    return session.scalars(select(CardPackagePush.merchant_id).where(*_due(now)).distinct()
                           .limit(MERCHANTS_PER_RUN)).all()


def push_merchant(session, merchant, deadline, now_fn=now_utc):
    """Push the merchant's due members batch by batch until none is due or `deadline` (monotonic) passes; commits
    as it goes. {"pushed": n, "failed": n, "changed": n}."""
    counts = {"pushed": 0, "failed": 0, "changed": 0}
    while time.monotonic() < deadline:
        claimed = claim(session, merchant.id, now_fn())
        if not claimed:
            break
        for outcome, how_many in push_claimed(session, merchant, claimed, now_fn).items():
            counts[outcome] += how_many
        session.commit()
    return counts


def claim(session, merchant_id, now):
    """{member_id: changes} of up to BATCH due rows, leased to this run (committed)."""
    due = (select(CardPackagePush.member_id).where(CardPackagePush.merchant_id == merchant_id, *_due(now))
           .order_by(CardPackagePush.next_try_at).limit(BATCH))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(
        update(CardPackagePush).where(CardPackagePush.merchant_id == merchant_id,
                                      CardPackagePush.member_id.in_(due.scalar_subquery()), *_due(now))
        .values(claimed_until=now + LEASE).returning(CardPackagePush.member_id, CardPackagePush.changes)).all()
    session.commit()
    return dict(rows)


def _due(now):
    return (CardPackagePush.next_try_at <= now,
            or_(CardPackagePush.claimed_until.is_(None), CardPackagePush.claimed_until < now))


def push_claimed(session, merchant, claimed, now_fn=now_utc):
    """Call WeChat (and Alipay, for cards opened there) for each claimed member and settle their rows.
    {"pushed"|"failed"|"changed": n}."""
    card = session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)).one_or_none()
    holdings = _activated_holdings(session, merchant.id, list(claimed))
    alipay_held = alipay_updates.open_holdings(session, merchant.id, list(claimed))
    totals = updates.member_totals(session, merchant.id, [member_id for member_id in claimed
                                                          if member_id in holdings or member_id in alipay_held])
    errors = {}
    try:
        client = client_for(merchant) if holdings and card is not None else None
    except DomainError as exc:
        client, errors = None, dict.fromkeys(holdings, exc.message)
    for member_id, held in holdings.items():
        if client is None or member_id in errors:
            continue
        for holding in held:
            outcome = updates.update_holding(client, card, holding, totals[member_id])
            if outcome.gone:
                holding.state, holding.updated_at = "deleted", now_fn()
            elif outcome.error:
                errors[member_id] = outcome.error
    for member_id, message in alipay_updates.push(session, merchant, alipay_held, totals, now_fn()).items():
        errors.setdefault(member_id, message)
    return _settle(session, merchant.id, claimed, errors, now_fn())


def _settle(session, merchant_id, claimed, errors, now):
    done = [(member_id, changes) for member_id, changes in claimed.items() if member_id not in errors]
    deleted = set(session.scalars(delete(CardPackagePush).where(
        CardPackagePush.merchant_id == merchant_id,
        tuple_(CardPackagePush.member_id, CardPackagePush.changes).in_(done)).returning(CardPackagePush.member_id))
    ) if done else set()
    changed = [member_id for member_id, _ in done if member_id not in deleted]
    if changed:
        session.execute(update(CardPackagePush).where(
            CardPackagePush.merchant_id == merchant_id, CardPackagePush.member_id.in_(changed))
            .values(claimed_until=None, next_try_at=now + SETTLE, attempts=0, last_error=None))
    _postpone(session, merchant_id, errors, now)
    return {"pushed": len(deleted), "failed": len(errors), "changed": len(changed)}


def _postpone(session, merchant_id, errors, now):
    """Each failed member tried again later the more often it failed, WeChat's words kept."""
    if not errors:
        return
    attempts = dict(session.execute(select(CardPackagePush.member_id, CardPackagePush.attempts).where(
        CardPackagePush.merchant_id == merchant_id, CardPackagePush.member_id.in_(list(errors)))).all())
    for member_id, message in errors.items():
        failed_before = attempts.get(member_id, 0)
        session.execute(update(CardPackagePush).where(
            CardPackagePush.merchant_id == merchant_id, CardPackagePush.member_id == member_id)
            .values(claimed_until=None, attempts=failed_before + 1, last_error=message[:300],
                    next_try_at=now + timedelta(seconds=_retry_after(failed_before))))
    log.warning("card push: %d members of merchant %s failed: %s", len(errors), merchant_id,
                next(iter(errors.values())))


def _retry_after(attempts):
    return RETRY_AFTER[min(attempts, len(RETRY_AFTER) - 1)]


def _activated_holdings(session, merchant_id, member_ids):
    held = {}
    for holding in session.scalars(select(WechatCardHolding).where(
            WechatCardHolding.merchant_id == merchant_id, WechatCardHolding.member_id.in_(member_ids),
            WechatCardHolding.state == "activated").order_by(WechatCardHolding.id)):
        held.setdefault(holding.member_id, []).append(holding)
    return held


def backlog(session, merchant_id):
    """What the merchant's page shows: members whose card waits for an update, how many of those failed, and the
    latest failure in WeChat's words."""
    waiting, failing = session.execute(select(
        func.count(), func.count().filter(CardPackagePush.attempts > 0)).where(
        CardPackagePush.merchant_id == merchant_id)).one()
    error = session.scalar(select(CardPackagePush.last_error).where(
        CardPackagePush.merchant_id == merchant_id, CardPackagePush.attempts > 0)
        .order_by(CardPackagePush.next_try_at.desc()).limit(1)) if failing else None
    return {"waiting": waiting, "failing": failing, "error": error}


def push_everywhere(session, seconds, now_fn=now_utc):
    """One periodic run: every merchant with due pushes, for at most `seconds` in all."""
    deadline = time.monotonic() + seconds
    merchant_ids = merchants_due(session, now_fn())
    session.commit()
    totals = {"pushed": 0, "failed": 0, "changed": 0}
    for merchant_id in merchant_ids:
        if time.monotonic() >= deadline:
            break
        merchant = session.get(Merchant, merchant_id)
        for outcome, how_many in push_merchant(session, merchant, deadline, now_fn).items():
            totals[outcome] += how_many
    return totals
