"""The channel report (渠道分析) against PostgreSQL, on generated data (tests/integration/recruitment/channel_world.py):
every figure of every row, per source, per staff member, per kind and for one store, equals a count or a sum
worked out directly from the rows the test made; another merchant's rows never count."""
from collections import defaultdict
from datetime import timedelta

import pytest

from domain.channel_report import ASSISTED, NATURAL, Figures, Period
from models import Attribution, Order
from services.recruitment import attribution, channel_members, channel_report
from services.recruitment.attribution import Touch
from tests.integration.recruitment import channel_world
from tests.integration.recruitment.channel_world import END, FIRST, LAST, START

WINDOW = timedelta(days=30)  # first payments and 首30天实付 both look 30 days past the join
# event -> (count figure, money figure)
EVENTS = {"coupon_claim": ("coupon_claims", "coupon_money"), "card_purchase": ("card_count", "card_money"),
          "topup": ("topup_count", "topup_money"), "paid_membership": ("membership_count", "membership_money")}


@pytest.fixture()
def world(db, make):
    return channel_world.build(db, make)


def scope(world, store_id=None):
    return channel_report.scope_of(world.merchant, Period(FIRST, LAST), store_id)


def expected(world, key_of, store_id=None):
    """Figures per key worked out from the generated rows. key_of(source_id, staff_id, staff_key) -> key or None
    (not counted in this grouping)."""
    figures = defaultdict(Figures)
    for join in world.joins:
        if not START <= join.at < END or (store_id is not None and join.store_id != store_id):
            continue
        key = key_of(join.source_id, join.staff_id, join.staff_key)
        if key is None:
            continue
        row = figures[key]
        row.joins += 1
        own = [move for move in world.moves if move[0] == join.member_id]
        paid = [at for _member, at, _paid_at, _money, payment, _row in own if payment]
        if paid and join.at <= min(paid) < join.at + WINDOW:
            row.first_payments += 1
        row.money += sum(money for _member, at, paid_at, money, _payment, _row in own
                         if join.at <= paid_at < join.at + WINDOW and at < join.at + WINDOW)
    for event, source_id, staff_id, store, staff_key, at, order in world.events:
        if not START <= at < END or (store_id is not None and store != store_id):
            continue
        key = key_of(source_id, staff_id, staff_key)
        if key is None:
            continue
        count_name, money_name = EVENTS[event]
        setattr(figures[key], count_name, getattr(figures[key], count_name) + 1)
        if money_name:
            bought = order.amount - order.refunded_amount if order is not None else 0  # a free claim is 0
            setattr(figures[key], money_name, getattr(figures[key], money_name) + bought)
    return {key: value for key, value in figures.items() if not value.is_empty()}


def channel_key(source_id, staff_id, _staff_key):
    return (source_id, None) if source_id is not None else (None, staff_id)


def staff_key(_source_id, _staff_id, key):
    return key


def by_key(rows):
    found = {}
    for row in rows:
        key = (row.source_id, None) if row.source_id is not None else (None, row.staff_id if row.kind == ASSISTED
                                                                        else None)
        assert key not in found, f"two rows for {key}"
        found[key] = row
    return found


def non_empty(rows):
    return {key: row.figures for key, row in by_key(rows).items() if not row.figures.is_empty()}


def test_does_every_channel_row_equal_a_direct_count_of_what_it_brought(db, world):
    rows = channel_report.by_source(db.session, scope(world))
    want = expected(world, channel_key)
    assert non_empty(rows) == want
    # the data covers what the figures are about, so the equality above is not between two sets of zeros
    assert len(want) >= 9 and all(sum(getattr(f, name) for f in want.values()) > 0 for name in vars(Figures()))
    total = channel_report.total(rows)
    assert total.joins == sum(1 for join in world.joins if START <= join.at < END), "the rows add up to all joins"
    assert total.joins < len(world.joins), "members who joined outside the period are left out"


def test_are_the_rows_named_after_their_source_and_the_unused_code_listed(db, world):
    rows = by_key(channel_report.by_source(db.session, scope(world)))
    guide = rows[(world.sources["guide"].id, None)]
    assert (guide.kind, guide.store, guide.staff) == ("staff", "一号店", world.staff["guide"].name)
    poster = rows[(world.sources["cashier_poster"].id, None)]
    assert (poster.share_channel, poster.store) == ("分享海报", "二号店")
    assert rows[(world.sources["invite"].id, None)].name == "老会员 的邀请"
    assert rows[(world.sources["moments"].id, None)].share_channel == "朋友圈"
    unused = rows[(world.sources["store2_unused"].id, None)]
    assert unused.kind == "store" and unused.figures.is_empty(), "a store's code that brought nobody still shows"
    assert rows[(None, world.staff["cashier"].id)].kind == ASSISTED
    assert rows[(None, None)].kind == NATURAL and rows[(None, None)].name == "自然流量"


def test_do_the_kind_rows_sum_their_sources(db, world):
    rows = channel_report.by_source(db.session, scope(world))
    kinds = {row.kind: row.figures for row in channel_report.by_kind(rows)}
    want = defaultdict(Figures)
    for row in rows:
        want[row.kind].add(row.figures)
    assert kinds == {kind: figures for kind, figures in want.items() if not figures.is_empty()}
    assert list(kinds) == [k for k in ("store", "staff", "share", "member", "campaign", "send", ASSISTED, NATURAL)
                           if k in kinds]


def test_does_every_staff_row_equal_a_direct_count_of_their_codes_and_their_own_sign_ups(db, world):
    rows = channel_report.by_staff(db.session, scope(world))
    assert {row.staff_id: row.figures for row in rows} == expected(world, staff_key)
    cashier = next(row for row in rows if row.staff_id == world.staff["cashier"].id)
    assert cashier.figures.joins > 0 and cashier.name == world.staff["cashier"].name


def test_does_a_store_count_only_what_was_credited_to_it(db, world):
    store = world.stores[0]
    rows = channel_report.by_source(db.session, scope(world, store.id))
    assert non_empty(rows) == expected(world, channel_key, store_id=store.id)
    assert (None, None) not in non_empty(rows), "nobody's joins belong to no store"
    assert {row.source_id for row in rows if row.figures.is_empty()} <= {world.sources["store1"].id,
                                                                          world.sources["guide"].id}
    assert {row.staff_id: row.figures for row in channel_report.by_staff(db.session, scope(world, store.id))} == \
        expected(world, staff_key, store_id=store.id)


def test_does_a_channels_member_list_show_each_member_with_their_own_figures(db, world):
    source = world.sources["guide"]
    joins = sorted((j for j in world.joins if j.source_id == source.id and START <= j.at < END),
                   key=lambda j: (j.at, j.member_id), reverse=True)
    assert len(joins) > 3
    seen = []
    for number in (1, 2):
        page = channel_members.brought(db.session, scope(world), ("source", source.id), page=number, per_page=3)
        assert page.total == len(joins) and page.pages == -(-len(joins) // 3)
        seen += page.items
    assert [b.member_id for b in seen] == [j.member_id for j in joins[:6]]
    for brought, join in zip(seen, joins):
        own = [m for m in world.moves if m[0] == join.member_id]
        paid = [at for _m, at, _p, _money, payment, _r in own if payment]
        assert brought.joined_at == join.at and brought.first_at == (min(paid) if paid else None)
        assert brought.first_paid == bool(paid and join.at <= min(paid) < join.at + WINDOW)
        assert brought.money == sum(money for _m, at, paid_at, money, _p, _r in own
                                    if join.at <= paid_at < join.at + WINDOW and at < join.at + WINDOW)
        assert "****" in brought.mobile


def test_do_the_other_channels_member_lists_hold_their_members(db, world):
    in_period = [j for j in world.joins if START <= j.at < END]
    cashier = world.staff["cashier"].id

    def ids(only):
        return {b.member_id for b in channel_members.brought(db.session, scope(world), only, per_page=500).items}

    assert ids(("natural",)) == {j.member_id for j in in_period if j.source_id is None and j.staff_id is None}
    assert ids(("assisted", cashier)) == {j.member_id for j in in_period if j.source_id is None
                                          and j.staff_id == cashier}
    assert ids(("staff", cashier)) == {j.member_id for j in in_period if j.staff_key == cashier}
    assert channel_members.brought(db.session, scope(world), ("natural",), page=10 ** 9).page == 1
    last = channel_members.brought(db.session, scope(world), ("natural",), page=50, per_page=2)
    assert last.page == last.pages > 1 and last.items, "a page past the end shows the last one"


def test_is_another_merchants_data_never_counted(db, make, world):
    other = channel_world.build(db, make, seed=5, size=20)
    stray = other.joins[0]
    # a row of the other merchant's pointing at this merchant's source (nothing writes that; the report must
    # still keep to its merchant)
    db.session.query(Attribution).filter_by(merchant_id=other.merchant.id, member_id=stray.member_id,
                                            event="join").update({"source_id": world.sources["guide"].id})
    db.session.commit()
    assert non_empty(channel_report.by_source(db.session, scope(world))) == expected(world, channel_key)
    assert {row.staff_id: row.figures for row in channel_report.by_staff(db.session, scope(world))} == \
        expected(world, staff_key)
    theirs = channel_report.by_source(db.session, scope(other))
    assert world.sources["guide"].id not in {row.source_id for row in theirs}
    assert channel_report.total(theirs).joins == sum(1 for j in other.joins if START <= j.at < END)


def test_is_a_coupon_claim_credited_once_and_only_when_someone_brought_it(db, world):
    member_id = world.joins[0].member_id
    touch = Touch.of(world.sources["moments"])
    from services.recruitment import coupon_claims
    assert coupon_claims.credit_claim(db.session, world.merchant.id, member_id, 777001, touch)
    assert not coupon_claims.credit_claim(db.session, world.merchant.id, member_id, 777001, touch)
    assert not coupon_claims.credit_claim(db.session, world.merchant.id, member_id, 777002, attribution.NOBODY)
    assert db.session.query(Attribution).filter(Attribution.key.like("coupon_code:7770%")).count() == 1


def test_is_a_self_pay_counted_once_through_its_checkout(db, world):
    self_pays = db.session.query(Order).filter_by(merchant_id=world.merchant.id, kind="self_pay").all()
    assert self_pays, "the generated data holds self-pay orders"
    ids = {o.id for o in self_pays}
    assert not any(isinstance(m[5], Order) and m[5].id in ids for m in world.moves)
