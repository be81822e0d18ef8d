"""Stored value (储值): the journal's movements per store and day (`wallet`), and what members and gift cards hold
at each day's end (`wallet_balance`). The journal (wallet_transactions) is the source of truth, as for the prepaid
day report (services/wallet/prepaid_report.py): a movement belongs to the store on its transaction (a counter
top-up, a payment at the till) or to none (0: online, the back office, a job), and balances are attributed the
same way, so the balance of a store at a day's end is the one before plus the day's movements there.

`wallet` keys (count, amount in fen, every amount positive; member wallets unless named gift):
  topup:online:<channel> / topup:counter:<tender>  paid top-ups (credits of a top-up order): principal
  bonus:topup / bonus:instalment / bonus:points / credit:other   bonus given with a top-up, by instalment, points
        turned into balance (积分转储值), any other credit
  refund_failed      a failed refund's money put back into the wallet
  spend / spend:bonus            spending from balance (debits), and the bonus part of it
  spend_refund                   spending given back (a refund at the till)
  topup_refund / topup_refund:bonus   refunded top-ups: principal returned to the payer, bonus taken back
  withdraw                       value taken out otherwise (a returned member card)
  gift:in / gift:spend / gift:spend_refund / gift:out   the same movements of gift-card wallets
Change of the member balance = topup + bonus:* + credit:other + refund_failed + spend_refund − spend
− topup_refund − topup_refund:bonus − withdraw; of gift cards = gift:in + gift:spend_refund − gift:spend − gift:out
(`balance_change`; tests/integration/reports/test_wallet_report.py checks it against the snapshots).

`wallet_balance` keys (count 0, amount in fen): principal, bonus (members' wallets), gift_card (principal and bonus
of gift cards). The balance at a day's end is the sum of every journal delta before it: summing the whole history
for each day would read the journal again and again, so on PostgreSQL a day is the previous day's snapshot plus
the day's own deltas, when that snapshot was built at least `SETTLED` after its day ended (the journal is only
ever appended to, with the time it is written, so a day built once it has closed never changes); otherwise (the
first day ever built, a day built too early, SQLite) it is the full sum. Either way a rebuild of any day stands on
its own: it reads the raw journal, or a snapshot that was itself complete.
"""
from datetime import timedelta

from sqlalchemy import (Date, Integer, String, and_, case, cast, exists, func, literal, or_, select, true,
                        union_all)

from models import Merchant, Order, Wallet, WalletTransaction
from models.base import UTCDateTime
from models.reports import ReportBuiltDay, ReportDaily
from services.reports.families import register

FAMILY = "wallet"
BALANCE_FAMILY = "wallet_balance"
# A day's snapshot is chained from only when built this long after the day ended: a journal row is stamped when it
# is written, and its transaction commits moments later. The same grace after which the nightly job holds a day
# final (jobs/reports.py GRACE), so the day it rebuilds is the one the next day stands on.
SETTLED = timedelta(minutes=30)

MEMBER_ADDING = ("credit:other", "refund_failed", "spend_refund")  # and every topup:* and bonus:*
MEMBER_TAKING = ("spend", "topup_refund", "topup_refund:bonus", "withdraw")
GIFT_ADDING = ("gift:in", "gift:spend_refund")


def balance_change(keys):
    """(members' balance change, gift cards' change) of a day's {key: Figure}: see the module docstring."""
    member = gift = 0
    for key, figure in keys.items():
        if key.startswith("gift:"):
            gift += figure.amount if key in GIFT_ADDING else -figure.amount
        elif key.startswith(("topup:", "bonus:")) or key in MEMBER_ADDING:
            member += figure.amount
        elif key in MEMBER_TAKING:
            member -= figure.amount
    return member, gift


def _moved(window):
    """The day's journal rows of the merchant: store, kinds, deltas, and the top-up order's channel if any."""
    order_id = case((WalletTransaction.reference_type == "order", cast(WalletTransaction.reference_id, Integer)))
    txn = WalletTransaction
    return (select(txn.store_id, txn.kind, txn.reference_type, txn.principal_delta.label("p"),
                   txn.bonus_delta.label("b"), Wallet.kind.label("purse"), Order.channel)
            .join(Wallet, Wallet.id == txn.wallet_id)
            .outerjoin(Order, and_(Order.id == order_id, Order.merchant_id == window.merchant_id,
                                   Order.kind == "topup"))
            .where(txn.merchant_id == window.merchant_id, txn.created_at >= window.start,
                   txn.created_at < window.end)
            .cte("moved"))


@register(FAMILY)
def day_rows(window):
    m = _moved(window)
    one, total = literal(1, Integer), m.c.p + m.c.b
    member, gift = m.c.purse == "member", m.c.purse == "gift_card"
    credit, ref = and_(member, m.c.kind == "credit"), m.c.reference_type
    topup = and_(credit, ref == "order", m.c.p > 0)
    place = case((m.c.store_id.is_(None), literal("online:", String)), else_=literal("counter:", String))
    topup_key = literal("topup:", String) + place + func.coalesce(m.c.channel, literal("other", String))
    rows = [
        (topup_key, one, m.c.p, topup),
        (literal("bonus:topup", String), one, m.c.b, and_(topup, m.c.b > 0)),
        (literal("bonus:instalment", String), one, m.c.b, and_(credit, ref == "order", m.c.p == 0)),
        (literal("bonus:points", String), one, total, and_(credit, ref == "points_to_balance")),
        (literal("refund_failed", String), one, total, and_(credit, ref == "order_refund")),
        (literal("credit:other", String), one, total,
         and_(credit, or_(ref.is_(None), ref.not_in(("order", "points_to_balance", "order_refund"))))),
        (literal("spend", String), one, -total, and_(member, m.c.kind == "debit")),
        (literal("spend:bonus", String), one, -m.c.b, and_(member, m.c.kind == "debit", m.c.b < 0)),
        (literal("spend_refund", String), one, total, and_(member, m.c.kind == "refund")),
        (literal("topup_refund", String), one, -m.c.p, and_(member, m.c.kind == "withdraw", ref == "order_refund")),
        (literal("topup_refund:bonus", String), one, -m.c.b,
         and_(member, m.c.kind == "withdraw", ref == "order_refund", m.c.b < 0)),
        (literal("withdraw", String), one, -total,
         and_(member, m.c.kind == "withdraw", or_(ref.is_(None), ref != "order_refund"))),
        (literal("gift:in", String), one, total, and_(gift, m.c.kind == "credit")),
        (literal("gift:spend", String), one, -total, and_(gift, m.c.kind == "debit")),
        (literal("gift:spend_refund", String), one, total, and_(gift, m.c.kind == "refund")),
        (literal("gift:out", String), one, -total, and_(gift, m.c.kind == "withdraw")),
    ]
    return _labelled(union_all(*(select(m.c.store_id, key, count, amount).where(condition)
                                 for key, count, amount, condition in rows)))


@register(BALANCE_FAMILY, snapshot=True)
def balance_rows(window):
    if window.dialect != "postgresql":
        return _balances(_deltas(window, "history", since=None))
    chained = _previous_complete(window)
    previous = (select(ReportDaily.store_id, ReportDaily.key, ReportDaily.count, ReportDaily.amount)
                .where(ReportDaily.merchant_id == window.merchant_id, ReportDaily.family == BALANCE_FAMILY,
                       ReportDaily.day == _previous_day(window), chained))
    return _labelled(union_all(previous, *_balance_parts(_deltas(window, "day", since=window.start, only_if=chained)),
                               *_balance_parts(_deltas(window, "history", since=None, only_if=~chained))))


def _previous_day(window):
    """The merchant's local date before the window's (PostgreSQL: the window starts at that date's midnight)."""
    local = cast(func.timezone(Merchant.timezone, literal(window.start, UTCDateTime())), Date)
    return select(local - 1).where(Merchant.id == window.merchant_id).scalar_subquery()


def _previous_complete(window):
    """True when the previous day's snapshot was built once that day had settled (see the module docstring)."""
    return exists().where(ReportBuiltDay.merchant_id == window.merchant_id, ReportBuiltDay.family == BALANCE_FAMILY,
                          ReportBuiltDay.day == _previous_day(window),
                          ReportBuiltDay.built_at >= window.start + SETTLED)


def _deltas(window, name, since, only_if=None):
    """Journal deltas of the merchant before the window's end (and from `since`), with the wallet's kind: a CTE,
    read once for both balance parts (and never when `only_if` is false)."""
    txn = WalletTransaction
    statement = (select(txn.store_id, Wallet.kind.label("purse"), txn.principal_delta.label("p"),
                        txn.bonus_delta.label("b"))
                 .join(Wallet, Wallet.id == txn.wallet_id)
                 .where(txn.merchant_id == window.merchant_id, txn.created_at < window.end,
                        true() if only_if is None else only_if))
    if since is not None:
        statement = statement.where(txn.created_at >= since)
    return statement.cte(name)


def _balance_parts(d):
    zero, member = literal(0, Integer), d.c.purse == "member"
    return [select(d.c.store_id, case((member, literal("principal", String)), else_=literal("gift_card", String)),
                   zero, case((member, d.c.p), else_=d.c.p + d.c.b)),
            select(d.c.store_id, literal("bonus", String), zero, d.c.b).where(member)]


def _balances(d):
    return _labelled(union_all(*_balance_parts(d)))


def _labelled(united):
    united = united.subquery()
    store, key, count, amount = list(united.c)
    return select(store.label("store_id"), key.label("key"), count.label("count"), amount.label("amount"))
