"""The stored-value families against PostgreSQL: a generated month of online and counter top-ups, spending at the
till, refunds of both, 积分转储值, gift cards, over two stores and beside another merchant. Every figure read from
the rollups equals a direct sum over the raw journal; top-ups equal the paid orders and spending the till's balance
payments; each day's end balance is the day before plus the day's movements, whether chained or summed whole."""
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from domain.clock import local_today
from models import Checkout, Order, ReportBuiltDay, ReportDaily, Wallet, WalletTransaction
from services.reports import catalogue, figures, rollups, wallet_report
from services.reports.family_wallet import BALANCE_FAMILY, FAMILY, balance_change
from tests.integration.reports import money_month

GIFT_KEYS = {"credit": "gift:in", "debit": "gift:spend", "refund": "gift:spend_refund", "withdraw": "gift:out"}


@pytest.fixture()
def shop(db, make):
    return money_month.shop(db, make)


@pytest.fixture()
def month(db, shop):
    money_month.generate(db, shop)
    return shop


def _journal(db, merchant):
    return db.session.scalars(select(WalletTransaction).where(WalletTransaction.merchant_id == merchant.id)
                              .order_by(WalletTransaction.id)).all()


def direct_movements(db, merchant, first, last):
    """{(day, store): {key: (count, amount)}} classified in Python, row by row, from the journal and its orders."""
    orders = {o.id: o for o in db.session.scalars(select(Order).where(Order.merchant_id == merchant.id))}
    purses = dict(db.session.execute(select(Wallet.id, Wallet.kind).where(Wallet.merchant_id == merchant.id)).all())
    table = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for t in _journal(db, merchant):
        day = rollups.day_of(t.created_at, merchant.timezone)
        if not first <= day <= last or t.kind in ("freeze", "unfreeze"):
            continue
        keys = table[(day, t.store_id or 0)]

        def add(key, amount):
            keys[key][0] += 1
            keys[key][1] += amount

        p, b, ref = t.principal_delta, t.bonus_delta, t.reference_type
        if purses[t.wallet_id] == "gift_card":
            add(GIFT_KEYS[t.kind], abs(p + b))
        elif t.kind == "credit" and ref == "order" and p > 0:
            order = orders[int(t.reference_id)]
            add(f"topup:{'online' if order.store_id is None else 'counter'}:{order.channel}", p)
            if b:
                add("bonus:topup", b)
        elif t.kind == "credit":
            add({"order": "bonus:instalment", "points_to_balance": "bonus:points",
                 "order_refund": "refund_failed"}.get(ref, "credit:other"), p + b)
        elif t.kind == "debit":
            add("spend", -(p + b))
            if b:
                add("spend:bonus", -b)
        elif t.kind == "refund":
            add("spend_refund", p + b)
        elif ref == "order_refund":
            add("topup_refund", -p)
            if b:
                add("topup_refund:bonus", -b)
        else:
            add("withdraw", -(p + b))
    return {group: {key: tuple(v) for key, v in keys.items()} for group, keys in table.items()}


def direct_balances(db, merchant, day):
    """{store: {principal, bonus, gift_card}} summed over the journal up to the end of `day`."""
    end = rollups.day_window(day, merchant.timezone)[1]
    purses = dict(db.session.execute(select(Wallet.id, Wallet.kind).where(Wallet.merchant_id == merchant.id)).all())
    table = defaultdict(lambda: defaultdict(int))
    for t in _journal(db, merchant):
        if t.created_at < end:
            keys = table[t.store_id or 0]
            if purses[t.wallet_id] == "gift_card":
                keys["gift_card"] += t.principal_delta + t.bonus_delta
            else:
                keys["principal"] += t.principal_delta
                keys["bonus"] += t.bonus_delta
    return {store: dict(keys) for store, keys in table.items()}


def as_plain(table):
    return {group: {key: (f.count, f.amount) for key, f in keys.items() if f.count or f.amount}
            for group, keys in table.items() if any(f.count or f.amount for f in keys.values())}


def amounts(table):
    return {group: {key: f.amount for key, f in keys.items()} for group, keys in table.items()}


def forget(db):
    db.session.execute(delete(ReportDaily))
    db.session.execute(delete(ReportBuiltDay))
    db.session.commit()


def test_does_a_month_of_stored_value_read_from_rollups_equal_the_journal(db, month):
    merchant = month["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=31)
    read = figures.read(db.session, merchant, FAMILY, first, today, group="day_store")
    db.session.commit()
    expected = direct_movements(db, merchant, first, today)
    assert as_plain(read) == expected
    keys = {key for group in expected.values() for key in group}
    assert {"topup:online:wechat", "topup:online:alipay", "topup:counter:cash", "topup:counter:bankcard",
            "bonus:topup", "bonus:instalment", "bonus:points", "refund_failed", "credit:other", "spend",
            "spend:bonus", "spend_refund", "topup_refund", "withdraw", "gift:in", "gift:spend"} <= keys

    store = month["stores"][1].id
    per_store = figures.read(db.session, merchant, FAMILY, first, today, store_id=store)
    assert as_plain(per_store) == {day: keys for (day, s), keys in expected.items() if s == store}
    other = figures.read(db.session, month["other"], FAMILY, first, today, group="total")
    assert as_plain(other) == {None: {"credit:other": (1, 100000)}}


def test_are_top_ups_the_paid_orders_and_spending_the_tills_balance_payments(db, month):
    merchant = month["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=31)
    read = figures.read(db.session, merchant, FAMILY, first, today, group="day_store")
    db.session.commit()
    topups, spent = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for order in db.session.scalars(select(Order).where(Order.merchant_id == merchant.id, Order.kind == "topup",
                                                        Order.paid_at.is_not(None))):
        place = f"counter:{order.channel}" if order.store_id else f"online:{order.channel}"
        group = (rollups.day_of(order.paid_at, merchant.timezone), order.store_id or 0, f"topup:{place}")
        topups[group][0] += 1
        topups[group][1] += order.amount
    for made in db.session.scalars(select(Checkout).where(Checkout.merchant_id == merchant.id,
                                                          Checkout.balance_paid > 0)):
        group = (rollups.day_of(made.created_at, merchant.timezone), made.store_id, "spend")
        spent[group][0] += 1
        spent[group][1] += made.balance_paid
    from_rollups = {(day, store, key): [f.count, f.amount] for (day, store), keys in read.items()
                    for key, f in keys.items()}
    assert {g: v for g, v in from_rollups.items() if g[2].startswith("topup:")} == dict(topups)
    assert {g: v for g, v in from_rollups.items() if g[2] == "spend"} == dict(spent)


def test_is_each_days_end_balance_the_journal_so_far_and_the_day_before_plus_its_movements(db, month):
    merchant = month["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=31)
    balances = amounts(figures.read(db.session, merchant, BALANCE_FAMILY, first, today, group="day_store"))
    movements = figures.read(db.session, merchant, FAMILY, first, today, group="day_store")
    db.session.commit()
    assert today not in {day for day, _ in balances}  # a snapshot family: closed days only
    for day in (first + timedelta(days=n) for n in range(31)):
        on_day = {store: keys for (d, store), keys in balances.items() if d == day}
        assert {s: {k: v for k, v in keys.items() if v} for s, keys in on_day.items()} == {
            s: {k: v for k, v in keys.items() if v} for s, keys in direct_balances(db, merchant, day).items()}
        if day == first:
            continue
        for store in {s for (d, s) in balances if d in (day, day - timedelta(days=1))}:
            before = balances.get((day - timedelta(days=1), store), {})
            after = balances.get((day, store), {})
            member, gift = balance_change(movements.get((day, store), {}))
            members, gifts = wallet_report.reconciliation(wallet_report.line_of("", movements.get((day, store), {})))
            assert (sum(fen for _, fen in members), sum(fen for _, fen in gifts)) == (member, gift)
            assert (after.get("principal", 0) + after.get("bonus", 0)
                    - before.get("principal", 0) - before.get("bonus", 0)) == member
            assert after.get("gift_card", 0) - before.get("gift_card", 0) == gift

    # yesterday's end plus today's movements is what the wallets hold now
    yesterday = today - timedelta(days=1)
    closing = figures.totals({k: v for k, v in figures.read(db.session, merchant, BALANCE_FAMILY, yesterday,
                                                             yesterday).items()})
    member, gift = balance_change(figures.totals(figures.read(db.session, merchant, FAMILY, today, today)))
    held = db.session.execute(select(Wallet.kind, Wallet.principal + Wallet.bonus)
                              .where(Wallet.merchant_id == merchant.id)).all()
    assert closing["principal"].amount + closing["bonus"].amount + member == sum(v for k, v in held if k == "member")
    assert closing["gift_card"].amount + gift == sum(v for k, v in held if k == "gift_card")


def test_is_a_day_chained_from_a_settled_snapshot_and_summed_whole_otherwise(db, month):
    merchant = month["merchant"]
    tz = merchant.timezone
    fam = catalogue.family(BALANCE_FAMILY)
    day = local_today(tz) - timedelta(days=3)
    before = day - timedelta(days=1)
    forget(db)
    rollups.rebuild_day(db.session, merchant.id, tz, fam, day)  # nothing built before it: summed whole
    db.session.commit()
    whole = amounts(figures.read(db.session, merchant, BALANCE_FAMILY, day, day, group="store"))

    def rebuilt_after_tampering(built_at):
        rollups.rebuild_day(db.session, merchant.id, tz, fam, before)
        db.session.execute(update(ReportDaily).where(ReportDaily.family == BALANCE_FAMILY, ReportDaily.day == before,
                                                     ReportDaily.store_id == 0, ReportDaily.key == "principal")
                           .values(amount=ReportDaily.amount + 1))
        db.session.execute(update(ReportBuiltDay).where(ReportBuiltDay.family == BALANCE_FAMILY,
                                                        ReportBuiltDay.day == before).values(built_at=built_at))
        rollups.rebuild_day(db.session, merchant.id, tz, fam, day)
        db.session.commit()
        return amounts(figures.read(db.session, merchant, BALANCE_FAMILY, day, day, group="store"))

    start_of_day = rollups.day_window(day, tz)[0]
    # built too soon after its day ended: not trusted, the day is summed whole again
    assert rebuilt_after_tampering(start_of_day + timedelta(minutes=5)) == whole
    # settled: the day stands on it (the tampered +1 shows, so the chain was taken)
    chained = rebuilt_after_tampering(start_of_day + timedelta(hours=2))
    assert whole[0]["principal"] and chained[0]["principal"] == whole[0]["principal"] + 1
    chained[0]["principal"] -= 1
    assert chained == whole
