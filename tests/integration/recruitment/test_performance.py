"""Staff performance (店员绩效) against PostgreSQL: on generated data in two stores, with partial and whole refunds,
events just outside the period, cards issued in the back office and another merchant's business, every figure of
the report equals a count made directly from what was generated; the staff page's month reads the same."""
import random
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from domain import roles
from domain.clock import local_midnight_utc
from domain.errors import NotFound
from domain.orders import Expected
from models import Staff, Verification
from services.cards import count_timed_issue, count_timed_templates, count_timed_use
from services.members import join as member_join
from services.orders import orders, refunds, settlement
from services.recruitment import attribution, commission_rules, joining, performance
from services.till import checkout
from services.wallet import stored_value

TZ = "Asia/Shanghai"
MARCH = performance.Period(date(2026, 3, 1), date(2026, 3, 31))
START, END = MARCH.bounds(TZ)
pytestmark = pytest.mark.usefixtures("fake_channel")  # refunds succeed at once (conftest.py)


class Book:
    """What the test generated, counted in Python: [(staff_id, store_id, figure, count, fen)] per event."""

    def __init__(self):
        self.lines = []

    def add(self, staff_id, store_id, at, figure, count=1, fen=0):
        if staff_id is not None and START <= at < END:
            self.lines.append((staff_id, store_id, figure, count, fen))

    def expected(self, store_id=None, direct_cards=True):
        figures = defaultdict(lambda: defaultdict(int))
        for staff_id, store, figure, count, fen in self.lines:
            if store_id is not None and store != store_id:
                continue
            if figure.startswith("direct:") and not direct_cards:
                continue
            name = figure.removeprefix("direct:")
            figures[staff_id][name + ":n"] += count
            figures[staff_id][name + ":fen"] += fen
        return {staff: dict(values) for staff, values in figures.items()}


def as_book(figures):
    """A report's Figures in the Book's shape (only what is not zero)."""
    values = {"recruits:n": figures.recruits, "paid_membership:n": figures.paid_memberships,
              "paid_membership:fen": figures.paid_membership_amount, "topup:n": figures.topups,
              "topup:fen": figures.topup_amount, "payment:n": figures.payments, "payment:fen": figures.payment_amount,
              "verification:n": figures.verifications}
    for kind, (count, fen) in figures.cards.items():
        values[f"{kind}:n"], values[f"{kind}:fen"] = count, fen
    return {k: v for k, v in values.items() if v}


def clean(expected):
    return {staff: {k: v for k, v in values.items() if v} for staff, values in expected.items()
            if any(values.values())}


@pytest.fixture()
def world(db, make):
    rng = random.Random(22)
    merchant = make.merchant(name="绩效测试店", timezone=TZ)
    store_a, store_b = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    owner = make.staff(merchant, role=roles.OWNER, username="p-owner")
    people = [owner,
              make.staff(merchant, role=roles.GUIDE, username="p-guide-a", stores_=[store_a]),
              make.staff(merchant, role=roles.GUIDE, username="p-guide-b", stores_=[store_b]),
              make.staff(merchant, role=roles.CASHIER, username="p-cashier-a", stores_=[store_a]),
              make.staff(merchant, role=roles.CASHIER, username="p-cashier-b", stores_=[store_b])]
    stored_value.enable(db.session, owner)
    commission_rules.save(db.session, owner, enabled=True, per_new_member=100, topup_bp=100, card_sale_bp=100,
                          guided_spend_bp=0, guided_spend_days=0)
    template = count_timed_templates.save_template(db.session, owner, None, kind="count", title="十次卡",
                                                   service_name="精洗", uses=50, price=9900)
    db.session.commit()
    book = Book()
    stores = [store_a, store_b]

    def moment():
        """Mostly inside March (Shanghai), some just outside on either side."""
        edge = rng.random()
        if edge < 0.1:
            return START - timedelta(minutes=rng.randint(1, 600))
        if edge < 0.2:
            return END + timedelta(minutes=rng.randint(0, 600))
        return START + timedelta(seconds=rng.randint(0, int((END - START).total_seconds()) - 1))

    def who():
        person = rng.choice(people + [None])
        store = rng.choice(stores)
        if person is not None and person.is_store_bound:
            store = person.stores[0]
        return person, store

    members = []
    for n in range(14):  # joins
        person, store = who()
        at = moment()
        member, _created = member_join.create_or_reuse(db.session, merchant, f"1370000{n:04d}", member_join.Profile())
        joining.after_join(db.session, merchant, member,
                           attribution.Touch(staff_id=person.id if person else None, store_id=store.id), now=at)
        book.add(person and person.id, store.id, at, "recruits")
        members.append(member)
    db.session.commit()

    for n in range(4):  # paid memberships credited without an order (the event's own amount counts)
        person, store = who()
        at = moment()
        attribution.record(db.session, merchant.id, members[n].id, "paid_membership", key=f"pm:{n}",
                           touch=attribution.Touch(staff_id=person and person.id, store_id=store.id), amount=9900,
                           now=at)
        book.add(person and person.id, store.id, at, "paid_membership", fen=9900)
    db.session.commit()

    for n in range(12):  # top-ups and count cards bought online through staff, some refunded in part or whole
        person, store = who()
        at, member = moment(), rng.choice(members)
        kind = rng.choice(["topup", "count_card"])
        amount = 9900 if kind == "count_card" else rng.randint(10, 500) * 100
        items = {"template_id": template.id} if kind == "count_card" else {"principal": amount, "bonus": 0}
        order = orders.create(db.session, merchant, member.id, kind=kind, channel="wechat", amount=amount,
                              description="购买", items=items, key=f"o{n}", now=at)
        order.staff_id, order.store_id = person and person.id, store.id
        db.session.flush()
        settlement.record_payment(db.session, merchant, order, amount=amount, currency="CNY", app_id="wx",
                                  merchant_no="m", channel_trade_no=f"T{n}", payer="o",
                                  expected=Expected(amount, "CNY", "wx", "m"), now=at)
        db.session.commit()
        refunded = rng.choice([0, 0, amount // 3, amount])
        if refunded:
            refunds.refund_order(db.session, owner, order.id, refunded, reason="退", key=f"rf{n}")
            db.session.commit()
        if refunded < amount:
            book.add(person and person.id, store.id, at, "topup" if kind == "topup" else kind, fen=amount - refunded)

    for n in range(16):  # payments at the till, by whoever may act in the store, some refunded
        person, store = who()
        person = person or owner
        at = moment()
        member = rng.choice(members + [None])
        made = checkout.pay(db.session, merchant, person, store_id=store.id, member_id=member and member.id,
                            amount=rng.randint(5, 300) * 100, tender="cash", choice=None, seed=f"s{n}", key=f"c{n}",
                            now=at)
        db.session.commit()
        refunded = rng.choice([0, 0, made.pay // 2, made.pay])
        if refunded:
            checkout.refund(db.session, owner, made.id, refunded, reason="退", key=f"cr{n}")
            db.session.commit()
        if refunded < made.pay:
            book.add(person.id, store.id, at, "payment", fen=made.pay - refunded)

    for n in range(6):  # count cards issued by staff in the back office (no store), one of them refunded later
        at = moment()
        issuer = rng.choice([owner, people[1]])
        card = count_timed_issue.issue(db.session, merchant, template.id, rng.choice(members).id, channel="staff",
                                       key=f"direct:{n}", issued_by=issuer, price_paid=5000, now=at)
        if n == 5:
            card.state = "refunded"
        else:
            book.add(issuer.id, None, at, "direct:count_card", fen=5000)
    db.session.commit()

    used = [count_timed_issue.issue(db.session, merchant, template.id, members[n].id, channel="bulk",
                                    key=f"used:{n}", now=START - timedelta(days=2)) for n in range(3)]
    for n in range(10):  # verifications of cards given before the period, one undone
        person, store = who()
        person = person or owner
        at = moment()
        record = count_timed_use.use(db.session, person, used[n % 3].id, store_id=store.id, method="manual",
                                     key=f"v{n}", quantity=1, now=at)
        if n == 3:
            db.session.execute(update(Verification).where(Verification.id == record.id).values(undone_at=at))
        else:
            book.add(person.id, store.id, at, "verification")
    db.session.commit()

    other = make.merchant(name="别家店", timezone=TZ)  # another merchant's business in the same month
    other_store = make.store(other, "别家门店")
    other_owner = make.staff(other, role=roles.OWNER, username="p-other")
    checkout.pay(db.session, other, other_owner, store_id=other_store.id, member_id=None, amount=12300, tender="cash",
                 choice=None, seed="x", key="other", now=START + timedelta(days=2))
    db.session.commit()
    return dict(merchant=merchant, stores=stores, people=people, book=book, other_owner=other_owner)


def reported(db, world, store_id=None):
    rows, total = performance.report(db.session, world["merchant"].id, MARCH, TZ, store_id=store_id)
    return {row.staff_id: as_book(row.figures) for row in rows if as_book(row.figures)}, rows, total


def test_does_every_figure_equal_a_direct_count_of_what_happened(db, world):
    book = world["book"]
    figures, rows, total = reported(db, world)
    assert figures == clean(book.expected())
    seen = {key for values in figures.values() for key in values}  # the generated data reaches every figure
    assert {"recruits:n", "paid_membership:n", "topup:fen", "count_card:n", "payment:fen", "verification:n"} <= seen
    everyone = db.session.scalars(select(Staff.id).where(Staff.merchant_id == world["merchant"].id)).all()
    assert {row.staff_id for row in rows} == set(everyone)  # the quiet ones are listed too
    assert world["other_owner"].id not in {row.staff_id for row in rows}
    assert total.payment_amount == sum(v.get("payment:fen", 0) for v in figures.values())
    assert total.recruits == sum(v.get("recruits:n", 0) for v in figures.values()) > 0


@pytest.mark.parametrize("which", [0, 1])
def test_does_a_store_filter_count_only_that_stores_events(db, world, which):
    store = world["stores"][which]
    figures, rows, _total = reported(db, world, store.id)
    assert figures == clean(world["book"].expected(store.id, direct_cards=False))
    assert all(row.figures.commission == 0 for row in rows)


def test_does_the_staff_pages_month_read_the_same_figures(db, world):
    guide = world["people"][1]
    mine = performance.my_month(db.session, guide, today=date(2026, 3, 31))
    assert mine.period == MARCH and mine.shows_commission
    assert as_book(mine.figures) == clean(world["book"].expected()).get(guide.id, {})


def test_is_a_period_given_backwards_swapped_and_a_long_one_cut(db):
    assert performance.period_of(date(2026, 3, 31), date(2026, 3, 1), TZ) == MARCH
    assert performance.period_of(None, None, TZ, today=date(2026, 3, 17)) == performance.Period(date(2026, 3, 1),
                                                                                                  date(2026, 3, 17))
    long = performance.period_of(date(2000, 1, 1), date(2026, 3, 1), TZ)
    assert (long.date_to - long.date_from).days == performance.MAX_DAYS
    assert MARCH.bounds(TZ) == (local_midnight_utc(date(2026, 3, 1), TZ), local_midnight_utc(date(2026, 4, 1), TZ))
    assert START == datetime(2026, 2, 28, 16, tzinfo=timezone.utc)


def test_is_another_merchants_store_refused(db, world, make):
    other_store = make.store(make.merchant(), "别人的店")
    with pytest.raises(NotFound):
        performance.store_of(db.session, world["merchant"].id, other_store.id)
