"""The points ledger. Every change locks the member row first, so lots and balance move together."""
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.util import identity_key

from domain import points as rules
from domain.clock import now_utc
from domain.errors import DomainError
from models import Member, PointsAllocation, PointsLot, PointsTransaction, Store
from services.card_push import pending as card_push
from services.shared import direct_sql, idempotency, ledger_rows, staged_changes
from services.wechat import notices
from services.shared.tenancy import get_owned

MAX_POINTS_PER_CHANGE = 100_000_000
MAX_REASON_LENGTH = 200


def lock_member(session, merchant_id, member_id):
    return get_owned(session, Member, merchant_id, member_id, lock=True)


def earn(session, merchant, member_id, amount, *, key, kind="earn", reason=None, reference=(None, None),
         operator=None, store_id=None, now=None, locked=None):
    """Add a lot of `amount` points expiring by the merchant's rule. Returns the transaction.

    `locked`: see _member_for_change; the caller has also expired the member's due lots (expire_member_lots)."""
    _check_amount(amount)
    idempotency.check_key(key)
    now = now or now_utc()
    member, replay = _member_for_change(session, merchant.id, member_id, locked, key, kind, amount)
    if replay:
        return replay
    if locked is None:
        expire_member_lots(session, merchant.id, member, now)
    expires_at = rules.expiry_for(now, merchant.points_expiry_mode, merchant.points_expiry_days, merchant.timezone)
    lot = dict(merchant_id=merchant.id, member_id=member.id, amount=amount, remaining=amount, expires_at=expires_at,
               created_at=now)
    written = _insert_transaction(session, merchant.id, member, kind, amount, key, reason, reference, operator,
                                  store_id, now, children=(PointsLot, [lot]), key_is_ours=locked is not None)
    if written.earlier is not None:  # a concurrent request with this key, on another member's row
        return idempotency.ensure_same_request(written.earlier, member_id=member.id, kind=kind, amount=amount)
    _changed(session, merchant, member, written.row, locked)
    return written.row


def spend(session, merchant, member_id, amount, *, key, kind="spend", reason=None, reference=(None, None),
          operator=None, store_id=None, now=None, locked=None):
    """Take `amount` points from the soonest-expiring lots. Raises InsufficientPoints.

    `locked`: as for earn."""
    _check_amount(amount)
    idempotency.check_key(key)
    now = now or now_utc()
    member, replay = _member_for_change(session, merchant.id, member_id, locked, key, kind, -amount)
    if replay:
        return replay
    if locked is None:
        expire_member_lots(session, merchant.id, member, now)
    plan = rules.plan_draw(_live_lots(session, member.id), amount, now)
    txn = _draw_and_record(session, merchant.id, member, kind, -amount, key, reason, reference, operator, store_id,
                           now, plan, key_is_ours=locked is not None)
    _changed(session, merchant, member, txn, locked)
    return txn


def _draw_and_record(session, merchant_id, member, kind, amount, key, reason, reference, operator, store_id, now,
                     plan, key_is_ours=False):
    """The transaction with its allocations, gated by the lots' draws (a lot never goes below zero)."""
    written = _insert_transaction(session, merchant_id, member, kind, amount, key, reason, reference, operator,
                                  store_id, now, children=(PointsAllocation, _allocations(plan)),
                                  gates=_draw_gates(plan), key_is_ours=key_is_ours)
    if written.row is None:  # a draw found the lot changed, or (the draws made) another member's request holds the key
        raise _points_changed()
    for lot_id, _ in plan:  # a lot this session holds as an object reads what the draw left on its next use
        held = session.identity_map.get(identity_key(PointsLot, lot_id))
        if held is not None:
            session.expire(held, ["remaining"])
    return written.row


def _changed(session, merchant, member, txn, locked):
    """The member's balance follows the transaction; a caller holding the row (`locked`) writes it with its other
    changes to the row, in one UPDATE (services/till/payment.py: staged_changes.write_staged)."""
    _set_balance(session, member, txn.balance_after, locked is not None)
    notices.points_changed(session, merchant, txn)


def _set_balance(session, member, balance, staged):
    card_push.member_changed(session, member.merchant_id, member.id)
    if staged:
        staged_changes.stage(session, member, points_balance=balance)
    else:
        member.points_balance = balance
        session.flush()


def adjust(session, merchant, member_id, delta, *, key, reason, operator, store_id=None, now=None):
    """A staff member adds (delta > 0) or removes (delta < 0) points, always with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写调整原因")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(f"调整原因不能超过 {MAX_REASON_LENGTH} 字")
    if delta == 0:
        raise DomainError("调整积分不能为 0")
    if store_id is not None:
        store_id = get_owned(session, Store, merchant.id, store_id).id
        if operator is not None and not operator.can_act_in(store_id):
            raise DomainError("只能在自己所属的门店操作")
    change = earn if delta > 0 else spend
    return change(session, merchant, member_id, abs(delta), key=key, kind="adjust", reason=reason,
                  operator=operator, store_id=store_id, now=now)


def expire_due(session, merchant, now=None, limit=500):
    """Expire lots whose time has come, member by member. Returns how many members were touched."""
    now = now or now_utc()
    member_ids = session.scalars(
        select(PointsLot.member_id).where(
            PointsLot.merchant_id == merchant.id, PointsLot.remaining > 0, PointsLot.expires_at <= now,
        ).distinct().limit(limit)
    ).all()
    for member_id in member_ids:
        member = lock_member(session, merchant.id, member_id)
        expire_member_lots(session, merchant.id, member, now)
    return len(member_ids)


def lots_of(session, merchant_id, member_id):
    return session.scalars(
        select(PointsLot).where(PointsLot.merchant_id == merchant_id, PointsLot.member_id == member_id)
        .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.id)
    ).all()


def history_of(session, merchant_id, member_id, limit=50):
    return session.scalars(
        select(PointsTransaction).where(PointsTransaction.merchant_id == merchant_id,
                                        PointsTransaction.member_id == member_id)
        .order_by(PointsTransaction.id.desc()).limit(limit)
    ).all()


def _check_amount(amount):
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("积分须为正整数")
    if amount > MAX_POINTS_PER_CHANGE:
        raise DomainError("单次积分变动过大")


def _member_for_change(session, merchant_id, member_id, locked, key, kind, amount):
    """(the locked member, an earlier transaction under this key). `locked` is the member row the caller's
    transaction already locked, for a key derived from a row it inserted under its own unique key (a checkout):
    then there is nothing to lock again and no earlier transaction to look for."""
    if locked is not None:
        if locked.id != member_id or locked.merchant_id != merchant_id:
            raise DomainError("会员不匹配")
        return locked, None
    member = lock_member(session, merchant_id, member_id)
    return member, _replay(session, merchant_id, key, member.id, kind, amount)


def _replay(session, merchant_id, key, member_id, kind, amount):
    existing = idempotency.find_existing(session, PointsTransaction, merchant_id, key)
    if existing is None:
        return None
    return idempotency.ensure_same_request(existing, member_id=member_id, kind=kind, amount=amount)


def _insert_transaction(session, merchant_id, member, kind, amount, key, reason, reference, operator, store_id,
                        now, children, gates=(), key_is_ours=False):
    """ledger_rows.Written of the transaction; `children`: (model, [values]) of the rows keyed by its id (its lot,
    its allocations)."""
    reference_type, reference_id = reference
    values = dict(
        merchant_id=merchant_id, member_id=member.id, kind=kind, amount=amount, idempotency_key=key,
        balance_after=member.points_balance + amount, note=reason, reference_type=reference_type,
        reference_id=reference_id and str(reference_id), operator_id=operator.id if operator is not None else None,
        store_id=store_id, created_at=now,
    )
    child_model, rows = children
    return ledger_rows.insert(session, PointsTransaction, values, children=(child_model, "transaction_id", rows),
                              gates=gates, key_is_ours=key_is_ours)


def _live_lots(session, member_id):
    """The member's lots with points left, as the draw plans them (plain rows: nothing is kept in the session)."""
    session.flush()  # as a query's autoflush would: a lot this request added is drawn from too
    return [rules.Lot(*row) for row in direct_sql.rows(session.connection(), _LIVE_LOTS, {"member_id": member_id})]


_LIVE_LOTS = select(PointsLot.id, PointsLot.remaining, PointsLot.expires_at, PointsLot.created_at).where(
    PointsLot.member_id == bindparam("member_id"), PointsLot.remaining > 0)


def _draw_gates(plan):
    """The draws as ledger_rows gates: the n-th with parameters of its own."""
    return [(_draw_statement(n), {f"lot_id_{n}": lot_id, f"take_{n}": take}) for n, (lot_id, take) in enumerate(plan)]


def _draw_statement(n):
    statement = _DRAWS.get(n)
    if statement is None:
        lot_id, take = bindparam(f"lot_id_{n}"), bindparam(f"take_{n}")
        statement = _DRAWS[n] = (update(PointsLot).where(PointsLot.id == lot_id, PointsLot.remaining >= take)
                                 .values(remaining=PointsLot.remaining - take).returning(PointsLot.id))
    return statement


_DRAWS = {}  # n -> the conditional UPDATE of a lot, its parameters suffixed n; built once


def _points_changed():
    return DomainError("积分已变化，请重试")


def _allocations(plan):
    return [dict(lot_id=lot_id, amount=take) for lot_id, take in plan]


def expire_member_lots(session, merchant_id, member, now, locked=False):
    """Under the member lock: zero every lot past its expiry, one 'expire' transaction per lot, written as a spend
    is (its allocation gated by the lot's draw). `locked`: the caller stages the member's balance (see _changed)."""
    due = direct_sql.rows(session.connection(), _DUE_LOTS, {"member_id": member.id, "now": now})
    for lot_id, remaining in due:  # a lot with points left has not expired before: its key is free
        txn = _draw_and_record(session, merchant_id, member, "expire", -remaining, f"expire:lot:{lot_id}", "积分到期",
                               ("points_lot", lot_id), None, None, now, [(lot_id, remaining)])
        _set_balance(session, member, txn.balance_after, locked)


_DUE_LOTS = (select(PointsLot.id, PointsLot.remaining)
             .where(PointsLot.member_id == bindparam("member_id"), PointsLot.remaining > 0,
                    PointsLot.expires_at <= bindparam("now"))
             .order_by(PointsLot.expires_at, PointsLot.id))
