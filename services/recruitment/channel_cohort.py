"""The members who joined in a period, each with the source and staff member that brought them, their first payment
and what they paid in their first 30 days: the set-based SQL that the channel report (渠道分析) groups and that its
member lists page through.

- Joined: the member's join attribution (services/recruitment/attribution.py) says when and through what; a member
  without one (created in the back office or at the till, or before joins were credited) joined when their row
  was created, through nobody (自然流量). So the joins of a period are all the members who became members in it.
- A payment is a till checkout with something to pay (self-pay included: its order becomes a checkout) or a paid
  online order (top-up, cards, coupons; not the self-pay order itself, which its checkout already counts).
- First payment: the member's earliest payment ever; it counts for their channel when it falls within
  FIRST_PAYMENT_WINDOW_DAYS of joining (a customer who had paid before they joined is not a new payer).
- 首30天实付: money the member handed over in their first 30 days: online orders, and at the till what was not
  paid from stored value (that money was counted when it was topped up), less what was refunded of those payments
  within the same 30 days (an order refund the channel failed to pay went to the member's balance: kept).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Interval, and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from domain.channel_report import MONEY_DAYS
from domain.recruitment import FIRST_PAYMENT_WINDOW_DAYS
from models import Attribution, Checkout, CheckoutRefund, Member, Order, OrderRefund, RecruitSource

SELF_PAY = "self_pay"


@dataclass(frozen=True)
class Scope:
    """One merchant, a period as UTC instants (start included, end excluded), and optionally one store: only what
    was credited to that store (a store's code, a staff member's code at it, a staff member acting there)."""

    merchant_id: int
    start: datetime
    end: datetime
    store_id: Optional[int] = None


def plus_days(column, days, dialect):
    """`column` + `days` days in SQL. SQLite keeps times as text: the shifted time is written the same way."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%f000", column, f"+{int(days)} days")
    return column + literal(timedelta(days=days), Interval())


def joined(scope, only=None):
    """CTE of the period's new members: member_id, joined_at, source_id, staff_id (who acted, as credited),
    staff_key (the staff member the join counts for: the source's, else the one who acted). `only` narrows it to
    one channel before anything is summed: ("source", id), ("staff", id), ("assisted", staff id) or ("natural",)."""
    join = aliased(Attribution)
    joined_at = func.coalesce(join.created_at, Member.created_at)
    query = (select(Member.id.label("member_id"), joined_at.label("joined_at"), join.source_id.label("source_id"),
                    join.staff_id.label("staff_id"),
                    func.coalesce(RecruitSource.staff_id, join.staff_id).label("staff_key"))
             .select_from(Member)
             .outerjoin(join, and_(join.merchant_id == Member.merchant_id, join.member_id == Member.id,
                                   join.event == "join"))
             .outerjoin(RecruitSource, and_(RecruitSource.merchant_id == Member.merchant_id,
                                            RecruitSource.id == join.source_id))
             .where(Member.merchant_id == scope.merchant_id, joined_at >= scope.start, joined_at < scope.end))
    if scope.store_id is not None:
        query = query.where(join.store_id == scope.store_id)
    if only is not None:
        query = query.where(_only(only, join, RecruitSource))
    return query.cte("joined")


def _only(only, join, source):
    kind, *rest = only
    if kind == "source":
        return join.source_id == rest[0]
    if kind == "staff":
        return func.coalesce(source.staff_id, join.staff_id) == rest[0]
    if kind == "assisted":
        return and_(join.source_id.is_(None), join.staff_id == rest[0])
    if kind == "natural":
        return and_(join.source_id.is_(None), join.staff_id.is_(None))
    raise ValueError(f"unknown channel {kind!r}")


def money_moves(scope, members):
    """Every payment and refund of `members` (a CTE with member_id): member_id, at (when the money moved),
    paid_at (when the payment it belongs to was made), money (fen; refunds negative), payment (1 or 0)."""
    ids = select(members.c.member_id)
    mid = scope.merchant_id
    till = (select(Checkout.member_id.label("member_id"), Checkout.created_at.label("at"),
                   Checkout.created_at.label("paid_at"), (Checkout.pay - Checkout.balance_paid).label("money"),
                   literal(1).label("payment"))
            .where(Checkout.merchant_id == mid, Checkout.member_id.in_(ids), Checkout.pay > 0))
    online = (select(Order.member_id, Order.paid_at, Order.paid_at, Order.amount, literal(1))
              .where(Order.merchant_id == mid, Order.member_id.in_(ids), Order.paid_at.is_not(None),
                     Order.kind != SELF_PAY))
    till_back = (select(Checkout.member_id, CheckoutRefund.created_at, Checkout.created_at,
                        CheckoutRefund.balance_back - CheckoutRefund.amount, literal(0))
                 .join(Checkout, Checkout.id == CheckoutRefund.checkout_id)
                 .where(CheckoutRefund.merchant_id == mid, Checkout.merchant_id == mid, Checkout.member_id.in_(ids)))
    online_back = (select(Order.member_id, OrderRefund.created_at, Order.paid_at, -OrderRefund.amount, literal(0))
                   .join(Order, Order.id == OrderRefund.order_id)
                   .where(OrderRefund.merchant_id == mid, Order.merchant_id == mid, Order.member_id.in_(ids),
                          OrderRefund.state != "failed", Order.kind != SELF_PAY))
    return union_all(till, online, till_back, online_back).subquery("moves")


def members(scope, dialect, only=None):
    """One row per member who joined in the period: member_id, joined_at, source_id, staff_id, staff_key,
    first_at (their first payment ever, or NULL), money (首30天实付, fen), first_paid (1 when the first payment
    falls within FIRST_PAYMENT_WINDOW_DAYS of joining, else 0)."""
    new = joined(scope, only)
    moves = money_moves(scope, new)
    money_until = plus_days(new.c.joined_at, MONEY_DAYS, dialect)
    in_first_days = and_(moves.c.paid_at >= new.c.joined_at, moves.c.paid_at < money_until, moves.c.at < money_until)
    first_at = func.min(case((moves.c.payment == 1, moves.c.at)))
    first_paid = case((and_(first_at >= new.c.joined_at,
                            first_at < plus_days(new.c.joined_at, FIRST_PAYMENT_WINDOW_DAYS, dialect)), 1), else_=0)
    keys = (new.c.member_id, new.c.joined_at, new.c.source_id, new.c.staff_id, new.c.staff_key)
    return (select(*keys, first_at.label("first_at"),
                   func.coalesce(func.sum(case((in_first_days, moves.c.money), else_=0)), 0).label("money"),
                   first_paid.label("first_paid"))
            .select_from(new).outerjoin(moves, moves.c.member_id == new.c.member_id)
            .group_by(*keys))
