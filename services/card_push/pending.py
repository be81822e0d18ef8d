"""Marking a member whose card package card is now behind. The ledgers call `member_changed` in the transaction
that changed the balance, points or level, so the mark commits (or rolls back) with the change.

A member without an activated WeChat card or an open Alipay card gets no row; one already marked only counts one more change. One mark per member
per transaction: a payment that moves points and balance marks its member once."""
from sqlalchemy import bindparam, event, literal, select, union
from sqlalchemy.orm import Session

from domain.clock import now_utc
from models import AlipayCardHolding, CardPackagePush, WechatCardHolding
from models.base import UTCDateTime
from services.shared import direct_sql
from services.shared.insert_once import dialect_insert

_MARKED = "card_push_marked"  # session.info: (merchant_id, member_id) marked in the open transaction
_STATEMENTS = {}


def member_changed(session, merchant_id, member_id):
    """The member's card (if they hold an activated one) is to be told their new totals."""
    marked = session.info.setdefault(_MARKED, set())
    if (merchant_id, member_id) in marked:
        return
    marked.add((merchant_id, member_id))
    direct_sql.rows(session.connection(), _statement(session, one=True),
                    {"merchant_id": merchant_id, "member_id": member_id, "now": now_utc()})


def members_changed(session, merchant_id, member_ids):
    """The same for many members at once (bulk issuance): one statement."""
    if member_ids:
        session.execute(_statement(session, one=False),
                        {"merchant_id": merchant_id, "member_ids": list(member_ids), "now": now_utc()})


def _statement(session, one):
    dialect = session.get_bind().dialect.name
    if (dialect, one) not in _STATEMENTS:
        _STATEMENTS[dialect, one] = _build(dialect_insert(session), one)
    return _STATEMENTS[dialect, one]


def _build(insert, one):
    now = bindparam("now", type_=UTCDateTime())

    def members(held):
        return (held.member_id == bindparam("member_id")) if one else \
            held.member_id.in_(bindparam("member_ids", expanding=True))

    # The members holding a card in either package (UNION: each member once), one index look-up per package.
    holders = union(
        select(WechatCardHolding.member_id).where(WechatCardHolding.merchant_id == bindparam("merchant_id"),
                                                  members(WechatCardHolding), WechatCardHolding.state == "activated"),
        select(AlipayCardHolding.member_id).where(AlipayCardHolding.merchant_id == bindparam("merchant_id"),
                                                  members(AlipayCardHolding), AlipayCardHolding.state == "open"),
    ).subquery()
    # The WHERE is SQLite's: without one, it reads INSERT ... SELECT ... ON CONFLICT's ON as a join's.
    activated = (select(bindparam("merchant_id"), holders.c.member_id, literal(1), now, now, literal(0))
                 .where(holders.c.member_id.is_not(None)))
    push = CardPackagePush.__table__
    statement = insert(push).from_select(
        ["merchant_id", "member_id", "changes", "first_changed_at", "next_try_at", "attempts"], activated)
    return statement.on_conflict_do_update(index_elements=["merchant_id", "member_id"],
                                           set_={"changes": push.c.changes + 1})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_marks(session):
    if not session.in_nested_transaction():
        session.info.pop(_MARKED, None)
