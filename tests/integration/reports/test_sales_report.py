"""The sales family against PostgreSQL: a generated month of till payments and refunds over two stores, read from
the rollups, equals direct sums over the raw rows; the payment's own increments equal a rebuild; a rebuild of today
running while payments are taken neither loses nor doubles one."""
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import local_today, now_utc
from models import Checkout, CheckoutRefund, ReportDaily
from services.reports import catalogue, figures, rollups
from services.till import checkout, refunds
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    stores = [make.store(merchant, name="一号店"), make.store(merchant, name="二号店")]
    owner = make.staff(merchant, role="owner")
    members = [make.member(merchant) for _ in range(4)]
    other = make.merchant(slug="other")
    other_store = make.store(other)
    other_owner = make.staff(other, role="owner")
    db.session.commit()
    return dict(merchant=merchant, stores=stores, owner=owner, members=members, other=other,
                other_store=other_store, other_owner=other_owner)


def _pay(session, shop, index, when, rng):
    member = rng.choice(shop["members"] + [None])
    tender = rng.choice(["cash", "wechat", "card"] + (["balance"] if member else []))
    if tender == "balance":
        purse = wallet.member_wallet(session, shop["merchant"].id, member.id)
        wallet.credit(session, shop["merchant"].id, purse.id, 100000, key=f"top:{index}")
    return checkout.pay(session, shop["merchant"], shop["owner"], store_id=rng.choice(shop["stores"]).id,
                        member_id=member.id if member else None, amount=rng.randint(100, 50000), tender=tender,
                        choice=None, seed=f"s{index}", key=f"pay-{index}", now=when)


def generate_month(db, shop, days=30, per_day=6, seed=7):
    rng = random.Random(seed)
    start = now_utc() - timedelta(days=days)
    for day in range(days + 1):
        for n in range(per_day):
            when = start + timedelta(days=day, minutes=rng.randint(0, 60 * 20))
            when = min(when, now_utc())
            made = _pay(db.session, shop, day * 100 + n, when, rng)
            if rng.random() < 0.25:
                amount = rng.randint(1, made.pay) if made.pay > 1 else made.pay
                refunds.refund(db.session, shop["owner"], made.id, amount=amount, reason="退货",
                               key=f"refund-{made.id}", now=when + timedelta(hours=rng.randint(0, 50)))
            db.session.commit()
    # another merchant's sales never show
    checkout.pay(db.session, shop["other"], shop["other_owner"], store_id=shop["other_store"].id, member_id=None,
                 amount=99999, tender="cash", choice=None, seed="x", key="other-1")
    db.session.commit()


def direct_sums(db, merchant, first, last):
    """{(day, store id): {key: (count, amount)}} summed in Python over every raw row of the merchant."""
    tz = merchant.timezone
    table = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def add(day, store, key, amount):
        if first <= day <= last:
            table[(day, store)][key][0] += 1
            table[(day, store)][key][1] += amount

    for row in db.session.scalars(select(Checkout).where(Checkout.merchant_id == merchant.id)):
        day = rollups.day_of(row.created_at, tz)
        add(day, row.store_id, "payments", row.pay)
        add(day, row.store_id, "gross", row.amount)
        add(day, row.store_id, f"tender:{row.tender}", row.pay)
        if row.discount:
            add(day, row.store_id, "discount", row.discount)
        if row.member_id:
            add(day, row.store_id, "member", row.pay)
        for step in row.steps:
            add(day, row.store_id, f"discount:{step['kind']}", step["amount"])
    for refund in db.session.scalars(select(CheckoutRefund).where(CheckoutRefund.merchant_id == merchant.id)):
        add(rollups.day_of(refund.created_at, tz), refund.checkout.store_id, "refunds", refund.amount)
    return {group: {key: tuple(v) for key, v in keys.items()} for group, keys in table.items()}


def as_plain(table):
    return {group: {key: (f.count, f.amount) for key, f in keys.items() if f.count or f.amount}
            for group, keys in table.items() if any(f.count or f.amount for f in keys.values())}


def test_does_a_month_of_sales_read_from_rollups_equal_the_raw_rows(db, shop):
    generate_month(db, shop)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=30)
    db.session.execute(ReportDaily.__table__.delete())  # forget the increments: every closed day is rebuilt
    db.session.commit()

    read = figures.read(db.session, merchant, "sales", first, today, group="day_store")
    db.session.commit()
    assert as_plain(read) == direct_sums(db, merchant, first, today)
    per_store = figures.read(db.session, merchant, "sales", first, today, store_id=shop["stores"][1].id)
    expected = defaultdict(dict)
    for (day, store), keys in direct_sums(db, merchant, first, today).items():
        if store == shop["stores"][1].id:
            expected[day] = keys
    assert as_plain(per_store) == dict(expected)


def test_do_the_payments_own_increments_equal_a_rebuild_of_each_day(db, shop):
    generate_month(db, shop, days=3)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)

    def stored():
        """(day, store, key, count, amount), the parts a payment spread its figures over summed."""
        rows = db.session.execute(
            select(ReportDaily.day, ReportDaily.store_id, ReportDaily.key, func.sum(ReportDaily.count),
                   func.sum(ReportDaily.amount)).where(ReportDaily.merchant_id == merchant.id)
            .group_by(ReportDaily.day, ReportDaily.store_id, ReportDaily.key))
        return sorted(tuple(r) for r in rows if r[3] or r[4])

    incremented = stored()
    parts = db.session.scalars(select(ReportDaily.part).where(ReportDaily.merchant_id == merchant.id)).all()
    assert len(set(parts)) > 1  # the payments' figures went to several parts of each row
    fam = catalogue.family("sales")
    for n in range(4):
        rollups.rebuild_day(db.session, merchant.id, merchant.timezone, fam, today - timedelta(days=n))
    db.session.commit()
    assert incremented and stored() == incremented


def test_does_a_rebuild_of_today_during_payments_lose_or_double_none(app, db, shop):
    merchant_id, tz = shop["merchant"].id, shop["merchant"].timezone
    fam = catalogue.family("sales")
    rng = random.Random(3)

    def work(session, index):
        from models import Merchant, Staff, Store
        merchant = session.get(Merchant, merchant_id)
        if index % 4 == 0:
            rollups.rebuild_day(session, merchant_id, tz, fam, local_today(tz))
            return None
        return checkout.pay(session, merchant, session.get(Staff, shop["owner"].id),
                            store_id=session.get(Store, shop["stores"][0].id).id, member_id=None,
                            amount=1000 + index, tender="cash", choice=None, seed=f"r{index}", key=f"race-{index}")

    for round_ in range(3):
        run_concurrently(app, 12, lambda session, i: work(session, i + round_ * 100))
    today = local_today(tz)
    read = figures.read(db.session, shop["merchant"], "sales", today, today, group="total")
    expected = direct_sums(db, shop["merchant"], today, today)
    assert as_plain(read) == {None: expected[(today, shop["stores"][0].id)]}
    assert rng  # the rounds are deterministic by index
