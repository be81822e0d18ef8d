"""Points and growth for a chunk of members in one statement each.

Points: on PostgreSQL one statement locks the members (in id order, as a single earn does), writes each member's
transaction (ON CONFLICT on the idempotency key skips what an earlier attempt gave), its lot, and moves the
balance, so the lots and the balance move together as in services/points/ledger.py. Lots that fall due meanwhile
are expired by the hourly job, as for any member. SQLite (the embedded mode, a few hundred members) takes the
single-member ledger for each member.
"""
import json

from sqlalchemy import bindparam, text

from domain import points as rules
from models import PointsTransaction
from models.base import UTCDateTime
from services.card_push import pending as card_push
from services.points import ledger as points_ledger
from services.shared import idempotency

_EARN = text("""
WITH locked AS (
    SELECT id, points_balance FROM members
    WHERE merchant_id = :merchant_id AND id = ANY(CAST(:members AS integer[])) ORDER BY id FOR UPDATE
), txn AS (
    INSERT INTO points_transactions (merchant_id, member_id, kind, amount, balance_after, idempotency_key, note,
                                     reference_type, reference_id, created_at)
    SELECT :merchant_id, l.id, 'earn', :amount, l.points_balance + :amount, :prefix || l.id, :note,
           :reference_type, :reference_id, :now
    FROM locked l
    ON CONFLICT (merchant_id, idempotency_key) DO NOTHING
    RETURNING id, member_id
), lots AS (
    INSERT INTO points_lots (merchant_id, member_id, transaction_id, amount, remaining, expires_at, created_at)
    SELECT :merchant_id, t.member_id, t.id, :amount, :amount, :expires_at, :now FROM txn t
    RETURNING member_id
)
UPDATE members SET points_balance = points_balance + :amount FROM lots WHERE members.id = lots.member_id
RETURNING members.id
""").bindparams(bindparam("now", type_=UTCDateTime()), bindparam("expires_at", type_=UTCDateTime()))

_GROWTH = text("UPDATE members SET growth = growth + :growth "
               "WHERE merchant_id = :merchant_id AND id = ANY(CAST(:members AS integer[])) RETURNING id")


def earn(session, merchant, member_ids, amount, *, prefix, note, reference, now):
    """`amount` points to each member (keys `prefix + member id`); the ids of the members given them now."""
    if not member_ids or amount <= 0:
        return []
    if session.get_bind().dialect.name != "postgresql":
        return [m for m in member_ids if _earn_one(session, merchant, m, amount, prefix, note, reference, now)]
    expires_at = rules.expiry_for(now, merchant.points_expiry_mode, merchant.points_expiry_days, merchant.timezone)
    given = list(session.scalars(_EARN, {
        "merchant_id": merchant.id, "members": list(member_ids), "amount": amount, "prefix": prefix, "note": note,
        "reference_type": reference[0], "reference_id": str(reference[1]), "now": now, "expires_at": expires_at}))
    card_push.members_changed(session, merchant.id, given)
    return given


def add_growth(session, merchant_id, member_ids, growth):
    """Growth to each member; the caller re-evaluates their levels (services/members/levels.py)."""
    if not member_ids or growth <= 0:
        return []
    if session.get_bind().dialect.name != "postgresql":
        statement = text("UPDATE members SET growth = growth + :growth WHERE merchant_id = :merchant_id AND id IN "
                         "(SELECT value FROM json_each(:members))")
        session.execute(statement, {"growth": growth, "merchant_id": merchant_id,
                                    "members": json.dumps(list(member_ids))})
        return list(member_ids)
    return list(session.scalars(_GROWTH, {"growth": growth, "merchant_id": merchant_id, "members": list(member_ids)}))


def _earn_one(session, merchant, member_id, amount, prefix, note, reference, now):
    key = f"{prefix}{member_id}"
    if idempotency.find_existing(session, PointsTransaction, merchant.id, key) is not None:
        return False
    points_ledger.earn(session, merchant, member_id, amount, key=key, reason=note, reference=reference, now=now)
    return True

