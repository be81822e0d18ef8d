"""The points family against PostgreSQL: a generated month of points earned at the till and with top-ups, shared
with referrers, used at the till and for 积分转储值, taken and given back by refunds, adjusted both ways and expired,
over two stores and beside another merchant: every figure read from the rollups equals a direct count over the
points ledger, per day and store, for one store, and in total."""
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import local_today
from models import PointsTransaction
from services.reports import figures, rollups
from services.reports.family_points import FAMILY
from tests.integration.reports import money_month


@pytest.fixture()
def month(db, make):
    shop = money_month.shop(db, make)
    money_month.generate(db, shop, seed=5)
    return shop


def direct_counts(db, merchant, first, last):
    table = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for txn in db.session.scalars(select(PointsTransaction).where(PointsTransaction.merchant_id == merchant.id)):
        day = rollups.day_of(txn.created_at, merchant.timezone)
        if first <= day <= last:
            figure = table[(day, txn.store_id or 0)][f"kind:{txn.kind}:{'in' if txn.amount > 0 else 'out'}"]
            figure[0] += 1
            figure[1] += abs(txn.amount)
    return {group: {key: tuple(v) for key, v in keys.items()} for group, keys in table.items()}


def as_plain(table):
    return {group: {key: (f.count, f.amount) for key, f in keys.items()} for group, keys in table.items()}


def test_does_a_month_of_points_read_from_rollups_equal_the_ledger(db, month):
    merchant = month["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=31)
    read = figures.read(db.session, merchant, FAMILY, first, today, group="day_store")
    db.session.commit()
    expected = direct_counts(db, merchant, first, today)
    assert as_plain(read) == expected
    keys = {key for group in expected.values() for key in group}
    assert {"kind:earn:in", "kind:referral:in", "kind:spend:out", "kind:adjust:in", "kind:adjust:out",
            "kind:expire:out", "kind:reverse:in", "kind:reverse:out"} <= keys

    store = month["stores"][0].id
    per_store = figures.read(db.session, merchant, FAMILY, first, today, store_id=store)
    assert as_plain(per_store) == {day: keys for (day, s), keys in expected.items() if s == store}
    total = as_plain(figures.read(db.session, merchant, FAMILY, first, today, group="total"))[None]
    summed = defaultdict(lambda: [0, 0])
    for keys in expected.values():
        for key, (count, amount) in keys.items():
            summed[key][0] += count
            summed[key][1] += amount
    assert total == {key: tuple(v) for key, v in summed.items()}


def test_are_another_merchants_points_its_own(db, month):
    other = month["other"]
    today = local_today(other.timezone)
    read = figures.read(db.session, other, FAMILY, today - timedelta(days=31), today, group="total")
    db.session.commit()
    assert as_plain(read) == {None: {"kind:earn:in": (1, 777)}}
