"""The members families against PostgreSQL: a generated month of joins over three stores through every channel,
fans following, leaving and becoming members, level changes and till payments, beside another merchant's, read
through figures.read, equals a direct count over the raw rows in Python (the definitions in
services/reports/family_members.py, counted the plain way: levels by replaying the history forward)."""
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import local_today, now_utc
from models import Attribution, Checkout, Fan, LevelChange, Member
from services.members import levels as level_service
from services.recruitment import sources
from services.reports import figures, rollups
from services.reports.family_members import ACTIVE_DAYS

DAYS = 40


@pytest.fixture()
def shop(db, make):
    return build_shop(db.session, make)


def build_shop(session, make):
    """Three stores, an owner, every kind of touch a join can be credited to, and another merchant."""
    merchant = make.merchant()
    stores = [make.store(merchant, name=name) for name in ("一号店", "二号店", "三号店")]
    owner = make.staff(merchant, role="owner")
    inviter = make.member(merchant)
    touches = [  # (source, staff, store) of a join attribution
        (sources.for_store(session, stores[0]), None, stores[0].id),
        (sources.for_staff(session, owner), owner.id, None),
        (sources.for_share(session, merchant.id, "moments"), None, None),
        (sources.for_share(session, merchant.id, "poster"), None, None),
        (sources.for_member(session, inviter), None, None),
        (None, owner.id, stores[1].id),  # assisted
        (None, None, None),  # natural
    ]
    other = make.merchant(slug="other")
    other_store = make.store(other)
    session.commit()
    return dict(merchant=merchant, stores=stores, owner=owner, touches=touches, other=other,
                other_store=other_store, levels=level_service.list_levels(session, merchant.id),
                other_levels=level_service.list_levels(session, other.id), inviter=inviter)


def _member(session, merchant, n, when, home_store_id, level_ids, rng):
    """A member joined at `when` at the lowest level (or none), upgraded later for some, the history consistent."""
    member = Member(merchant_id=merchant.id, mobile=f"138{merchant.id:02d}{n:06d}", created_at=when,
                    home_store_id=home_store_id)
    session.add(member)
    session.flush()
    if rng.random() < 0.1:
        return member  # never given a level (no ladder when they joined)
    level, at = level_ids[0], when
    session.add(LevelChange(merchant_id=merchant.id, member_id=member.id, from_level_id=None, to_level_id=level,
                            reason="join", created_at=when))
    for _ in range(rng.choice((0, 0, 1, 2))):
        at = at + timedelta(hours=rng.randint(1, 24 * 20))
        new = rng.choice([lid for lid in level_ids if lid != level])
        session.add(LevelChange(merchant_id=merchant.id, member_id=member.id, from_level_id=level, to_level_id=new,
                                reason="manual", created_at=at))
        level = new
    member.level_id = level
    return member


def _checkout(session, merchant, store_id, member_id, when, key):
    session.add(Checkout(merchant_id=merchant.id, store_id=store_id, member_id=member_id, source="staff", amount=1000,
                         discount=0, pay=1000, tender="cash", idempotency_key=key, created_at=when))


def generate_month(db, shop, seed=11):
    rng = random.Random(seed)
    merchant, stores = shop["merchant"], shop["stores"]
    level_ids = [level.id for level in shop["levels"]]
    start = now_utc() - timedelta(days=DAYS)
    made = []
    for day in range(DAYS + 1):
        for n in range(rng.randint(2, 6)):
            when = min(start + timedelta(days=day, minutes=rng.randint(0, 60 * 24 - 1)), now_utc())
            home = rng.choice([None, stores[0].id, stores[1].id, stores[2].id])
            member = _member(db.session, merchant, day * 10 + n, when, home, level_ids, rng)
            made.append(member)
            roll = rng.random()
            if roll < 0.75:  # a join attribution, usually at once, sometimes days later (the card claimed later)
                source, staff_id, store_id = rng.choice(shop["touches"])
                late = timedelta(days=rng.randint(1, 5)) if roll > 0.65 else timedelta(seconds=1)
                db.session.add(Attribution(merchant_id=merchant.id, key=f"join:{member.id}", event="join",
                                           member_id=member.id, source_id=source.id if source else None,
                                           staff_id=staff_id, store_id=store_id, created_at=when + late))
            if rng.random() < 0.3:  # another event never names a channel
                db.session.add(Attribution(merchant_id=merchant.id, key=f"topup:{member.id}", event="topup",
                                           member_id=member.id, source_id=shop["touches"][0][0].id,
                                           created_at=when + timedelta(minutes=5)))
            fan_roll = rng.random()
            if fan_roll < 0.4:  # a follower first, who then joined
                followed = when - timedelta(hours=rng.randint(1, 72))
                _fan(db.session, merchant, f"f{member.id}", followed, member.id, rng)
            elif fan_roll < 0.55:  # a member first, who followed afterwards
                _fan(db.session, merchant, f"f{member.id}", when + timedelta(hours=rng.randint(1, 48)), member.id, rng)
        for n in range(rng.randint(0, 4)):  # fans who never joined
            _fan(db.session, merchant, f"x{day}-{n}", start + timedelta(days=day, minutes=rng.randint(0, 1439)),
                 None, rng)
        db.session.flush()
    for n in range(DAYS * 8):  # payments, most by members, at the three stores
        when = start + timedelta(minutes=rng.randint(0, DAYS * 1440))
        payer = rng.choice(made + [None])
        if payer is not None and payer.created_at > when:
            continue
        _checkout(db.session, merchant, rng.choice(stores).id, payer.id if payer else None, min(when, now_utc()),
                  f"pay-{n}")
    _other_merchant(db, shop, rng)
    db.session.commit()


def _fan(session, merchant, openid, followed, member_id, rng):
    now = now_utc()
    followed = min(followed, now)
    left = followed + timedelta(hours=rng.randint(1, 24 * 6)) if rng.random() < 0.3 else None
    left = left if left is None or left < now else None
    session.add(Fan(merchant_id=merchant.id, app_id="wxapp", openid=openid, subscribed=left is None,
                    subscribed_at=followed, unsubscribed_at=left, member_id=member_id, created_at=followed))


def _other_merchant(db, shop, rng):
    """Another merchant's members, fans and payments on the same days: never counted."""
    other = shop["other"]
    level_ids = [level.id for level in shop["other_levels"]]
    for n in range(20):
        when = now_utc() - timedelta(days=rng.randint(0, DAYS), minutes=rng.randint(1, 600))
        member = _member(db.session, other, n, when, shop["other_store"].id, level_ids, rng)
        db.session.add(Attribution(merchant_id=other.id, key=f"join:{member.id}", event="join", member_id=member.id,
                                   created_at=when))
        _fan(db.session, other, f"o{n}", when - timedelta(hours=1), member.id, rng)
        db.session.flush()
        _checkout(db.session, other, shop["other_store"].id, member.id, when + timedelta(minutes=1), f"o-{n}")


def _channel(attribution, source):
    if attribution is None:
        return "other"
    if source is not None:
        return f"share:{source.share_channel}" if source.kind == "share" and source.share_channel else source.kind
    return "assisted" if attribution.staff_id is not None else "natural"


def direct_new_members(db, merchant, first, last):
    """{(day, store id): {key: count}} of the members family, counted over the raw rows."""
    tz = merchant.timezone
    table = defaultdict(lambda: defaultdict(int))
    members = db.session.scalars(select(Member).where(Member.merchant_id == merchant.id)).all()
    joins = {a.member_id: a for a in db.session.scalars(select(Attribution).where(
        Attribution.merchant_id == merchant.id, Attribution.event == "join"))}
    fans = db.session.scalars(select(Fan).where(Fan.merchant_id == merchant.id)).all()
    for member in members:
        day = rollups.day_of(member.created_at, tz)
        if not first <= day <= last:
            continue
        day_end = rollups.day_window(day, tz)[1]
        attribution = joins.get(member.id)
        if attribution is not None and attribution.created_at >= day_end:
            attribution = None  # recorded after the joining day: not known when the day closed
        source = attribution.source if attribution is not None else None
        table[(day, member.home_store_id or 0)][f"new:{_channel(attribution, source)}"] += 1
        if any(f.member_id == member.id and f.created_at <= member.created_at for f in fans):
            table[(day, 0)]["fans:became_member"] += 1
    for fan in fans:
        for moment, key in ((fan.subscribed_at, "fans:followed"), (fan.unsubscribed_at, "fans:unfollowed")):
            if moment is not None and first <= rollups.day_of(moment, tz) <= last:
                table[(rollups.day_of(moment, tz), 0)][key] += 1
    return _plain(table)


def direct_totals(db, merchant, first, last):
    """{(day, store id): {key: count}} of member_totals at each day's end: levels replayed from the history."""
    tz = merchant.timezone
    members = db.session.scalars(select(Member).where(Member.merchant_id == merchant.id)).all()
    changes = defaultdict(list)
    for change in db.session.scalars(select(LevelChange).where(LevelChange.merchant_id == merchant.id)
                                     .order_by(LevelChange.created_at, LevelChange.id)):
        changes[change.member_id].append(change)
    paid = defaultdict(list)
    for row in db.session.scalars(select(Checkout).where(Checkout.merchant_id == merchant.id)):
        if row.member_id is not None:
            paid[row.member_id].append(row.created_at)
    table = defaultdict(lambda: defaultdict(int))
    day = first
    while day <= last:
        end = rollups.day_window(day, tz)[1]
        for member in members:
            if member.created_at >= end:
                continue
            keys = table[(day, member.home_store_id or 0)]
            level = None
            for change in changes[member.id]:
                if change.created_at < end:
                    level = change.to_level_id
            active = any(end - timedelta(days=ACTIVE_DAYS) <= at < end for at in paid[member.id])
            keys["total"] += 1
            keys["active" if active else "dormant"] += 1
            keys[f"level:{level or 0}"] += 1
        day += timedelta(days=1)
    return _plain(table)


def _plain(table):
    return {group: dict(keys) for group, keys in table.items() if any(keys.values())}


def as_plain(table):
    return {group: {key: f.count for key, f in keys.items() if f.count}
            for group, keys in table.items() if any(f.count for f in keys.values())}


def only_store(table, store_id):
    return {day: keys for (day, store), keys in table.items() if store == store_id}


def test_does_a_month_of_new_members_and_fans_read_from_rollups_equal_the_raw_rows(db, shop):
    generate_month(db, shop)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=DAYS)

    read = figures.read(db.session, merchant, "members", first, today, group="day_store")
    db.session.commit()
    expected = direct_new_members(db, merchant, first, today)
    assert as_plain(read) == expected
    keys = {key for figures_ in expected.values() for key in figures_}
    assert {"new:store", "new:staff", "new:share:moments", "new:share:poster", "new:member", "new:assisted",
            "new:natural", "new:other", "fans:followed", "fans:unfollowed", "fans:became_member"} <= keys
    store = shop["stores"][1].id
    per_store = figures.read(db.session, merchant, "members", first, today, store_id=store)
    assert as_plain(per_store) == only_store(expected, store)


def test_does_each_days_end_of_members_active_dormant_and_levels_equal_the_raw_rows(db, shop):
    generate_month(db, shop)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=DAYS)

    read = figures.read(db.session, merchant, "member_totals", first, today, group="day_store")
    db.session.commit()
    expected = direct_totals(db, merchant, first, today - timedelta(days=1))  # a snapshot: closed days only
    assert as_plain(read) == expected
    some_day = expected[(today - timedelta(days=1), 0)]
    assert some_day["active"] and some_day["dormant"] and some_day["level:0"]
    assert len([key for key in some_day if key.startswith("level:")]) == 4
    store = shop["stores"][2].id
    per_store = figures.read(db.session, merchant, "member_totals", first, today, store_id=store)
    assert as_plain(per_store) == only_store(expected, store)


def test_is_a_later_level_change_or_claim_left_out_of_a_closed_day(db, shop):
    """The level at a day's end is the one before a change made since; a card claimed days later leaves the
    joining day's channel as it was when the day closed."""
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    day = today - timedelta(days=3)
    start, end = rollups.day_window(day, merchant.timezone)
    bronze, silver, gold = (level.id for level in shop["levels"])
    member = Member(merchant_id=merchant.id, mobile="13800000999", created_at=start + timedelta(hours=2))
    db.session.add(member)
    db.session.flush()
    db.session.add_all([
        LevelChange(merchant_id=merchant.id, member_id=member.id, from_level_id=None, to_level_id=bronze,
                    reason="join", created_at=member.created_at),
        LevelChange(merchant_id=merchant.id, member_id=member.id, from_level_id=bronze, to_level_id=silver,
                    reason="auto", created_at=start + timedelta(hours=3)),
        LevelChange(merchant_id=merchant.id, member_id=member.id, from_level_id=silver, to_level_id=gold,
                    reason="manual", created_at=end + timedelta(hours=1)),
        Attribution(merchant_id=merchant.id, key=f"join:{member.id}", event="join", member_id=member.id,
                    staff_id=shop["owner"].id, created_at=end + timedelta(days=1)),
    ])
    member.level_id = gold
    db.session.commit()

    totals = figures.read(db.session, merchant, "member_totals", day, day, group="total")[None]
    assert {key: f.count for key, f in totals.items() if f.count} == {"total": 1, "dormant": 1,
                                                                      f"level:{silver}": 1}
    joined = figures.read(db.session, merchant, "members", day, day, group="total")[None]
    assert {key: f.count for key, f in joined.items()} == {"new:other": 1}
