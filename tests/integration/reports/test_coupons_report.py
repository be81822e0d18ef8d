"""The coupons family against PostgreSQL: a generated month of codes given and claimed through many channels, a bulk
issue, friends' shares, uses in three stores with undos, and codes running out unused, read from the rollups, equals
direct counts over the raw rows; another merchant's codes never show; a later undo leaves a closed day alone."""
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import local_today, now_utc
from models import CouponCode, ReportDaily, Verification
from models.coupons import CHANNELS
from services.coupons import bulk, issue as coupon_issue, sharing, templates as coupon_templates, till_codes
from services.reports import catalogue, figures, rollups
from services.reports.family_coupons import CLAIMED_CHANNELS, GIVEN_CHANNELS, SHARED_CHANNEL, WAITING_STATES
from services.verification import instruments

CHANNEL_CHOICES = ["h5", "poster_qr", "menu", "receipt_qr", "staff", "campaign", "follow_gift", "referral",
                   "mass_message", "points_exchange"]


@pytest.fixture()
def shop(db, make):
    return make_shop(db, make)


def make_shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    stores = [make.store(merchant, name=name) for name in ("一号店", "二号店", "三号店")]
    members = [make.member(merchant) for _ in range(8)]
    db.session.flush()
    templates = [
        coupon_templates.save_template(db.session, owner, None, kind="cash", title="五元券", amount_off=500,
                                       validity_mode="relative", valid_days=2, shareable=True),
        coupon_templates.save_template(db.session, owner, None, kind="discount", title="八五折券", discount_percent=85,
                                       validity_mode="relative", valid_days=5),
        coupon_templates.save_template(db.session, owner, None, kind="gift", title="咖啡兑换券", gift_item="拿铁",
                                       validity_mode="relative", valid_days=40),
    ]
    other = make.merchant(slug="other")
    other_owner = make.staff(other, role="owner")
    other_store = make.store(other)
    other_member = make.member(other)
    db.session.flush()
    other_template = coupon_templates.save_template(db.session, other_owner, None, kind="cash", title="别家券",
                                                    amount_off=100, validity_mode="relative", valid_days=1)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, stores=stores, members=members, templates=templates, other=other,
                other_owner=other_owner, other_store=other_store, other_member=other_member,
                other_template=other_template)


def _claim(db, merchant, template, member, channel, key, when):
    return coupon_issue.claim(db.session, merchant, template.id, member.id, channel=channel, key=key, now=when,
                              notify=False)


def _use(db, shop, code, store, when, rng, owner=None):
    owner = owner or shop["owner"]
    record = till_codes.verify_id(db.session, owner, code.id, store_id=store.id, method="manual",
                                  key=f"v:{code.id}", amount_received=rng.randint(0, 30000), now=when)
    if rng.random() < 0.25:  # taken back within the undo window
        instruments.undo(db.session, owner, record.id, now=when + timedelta(minutes=rng.randint(1, 9)))
    return record


def generate_month(db, shop, days=30, per_day=5, seed=11):
    rng = random.Random(seed)
    now = now_utc()
    start = now - timedelta(days=days)
    merchant = shop["merchant"]
    for day in range(days + 1):
        for n in range(per_day):
            when = min(start + timedelta(days=day, minutes=rng.randint(0, 60 * 20)), now - timedelta(minutes=30))
            template, member = rng.choice(shop["templates"]), rng.choice(shop["members"])
            code = _claim(db, merchant, template, member, rng.choice(CHANNEL_CHOICES), f"c:{day}:{n}", when)
            later = when + timedelta(hours=rng.randint(1, 60))
            if rng.random() < 0.45 and later < min(code.ends_at, now - timedelta(minutes=10)):
                _use(db, shop, code, rng.choice(shop["stores"]), later, rng)
            elif template.shareable and rng.random() < 0.3:
                token = sharing.create_share(db.session, merchant, member.id, code.id, now=when)
                friend = next(m for m in shop["members"] if m.id != member.id)
                sharing.accept(db.session, merchant, token, friend.id, now=when + timedelta(minutes=5))
            db.session.commit()
        if day in (3, 17):  # a bulk issue to every member: its codes carry the chunk's moment
            moment = start + timedelta(days=day, hours=2)
            job = bulk.start(db.session, shop["owner"], shop["templates"][day % 2].id, {}, now=moment)
            db.session.commit()
            while bulk.run_chunk(db.session, job.id, size=3, now=moment):
                db.session.commit()
            db.session.commit()
    # another merchant's codes, uses and expiries never show
    for n in range(6):
        when = now - timedelta(days=n * 4, hours=1)
        code = _claim(db, shop["other"], shop["other_template"], shop["other_member"], "h5", f"o:{n}", when)
        if n % 2:
            # used halfway through its validity (a one-day code claimed just before the merchant's midnight ends
            # with it, so "20 minutes later" could already be too late)
            _use(db, shop, code, shop["other_store"], when + (code.ends_at - when) / 2, rng, owner=shop["other_owner"])
        db.session.commit()


def direct_counts(db, merchant, first, last):
    """{(day, store id): {key: (count, amount)}} counted in Python over every raw row of the merchant."""
    tz, now = merchant.timezone, now_utc()
    table = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def add(moment, store, key, amount=0):
        day = rollups.day_of(moment, tz)
        if first <= day <= last:
            table[(day, store)][key][0] += 1
            table[(day, store)][key][1] += amount

    for code in db.session.scalars(select(CouponCode).where(CouponCode.merchant_id == merchant.id)):
        if code.channel == SHARED_CHANNEL:
            add(code.created_at, 0, f"shared:{code.template_id}")
        else:
            kind = "issued" if code.channel in GIVEN_CHANNELS else "claimed"
            add(code.created_at, 0, f"{kind}:{code.template_id}:{code.channel}")
        if code.state in WAITING_STATES and code.ends_at <= now:
            add(code.ends_at, 0, f"expired:{code.template_id}")
    for record in db.session.scalars(select(Verification).where(Verification.merchant_id == merchant.id,
                                                                Verification.instrument_type == "coupon")):
        template_id = record.coupon_code.template_id
        add(record.created_at, record.store_id, f"used:{template_id}", record.amount_received)
        if record.undone_at is not None:
            add(record.undone_at, record.store_id, f"undone:{template_id}", record.amount_received)
    return {group: {key: tuple(v) for key, v in keys.items()} for group, keys in table.items()}


def as_plain(table):
    return {group: {key: (f.count, f.amount) for key, f in keys.items() if f.count or f.amount}
            for group, keys in table.items() if any(f.count or f.amount for f in keys.values())}


def test_is_every_channel_counted_as_given_claimed_or_shared_exactly_once():
    groups = [set(GIVEN_CHANNELS), set(CLAIMED_CHANNELS), {SHARED_CHANNEL}]
    assert set().union(*groups) == set(CHANNELS) and sum(map(len, groups)) == len(CHANNELS)


def test_does_a_month_of_coupons_read_from_rollups_equal_the_raw_rows(db, shop):
    generate_month(db, shop)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=30)

    read = figures.read(db.session, merchant, "coupons", first, today, group="day_store")
    db.session.commit()
    expected = direct_counts(db, merchant, first, today)
    assert as_plain(read) == expected
    keys = {key.split(":")[0] for figures_ in expected.values() for key in figures_}
    assert keys == {"issued", "claimed", "shared", "used", "undone", "expired"}  # the month exercised every figure
    assert not any(key.endswith(f":{shop['other_template'].id}") for figures_ in expected.values() for key in figures_)

    store = shop["stores"][1]
    per_store = figures.read(db.session, merchant, "coupons", first, today, store_id=store.id)
    assert as_plain(per_store) == {day: keys for (day, store_id), keys in expected.items() if store_id == store.id}


def test_does_a_later_undo_leave_the_closed_day_of_the_use_as_it_was(db, shop):
    merchant, store = shop["merchant"], shop["stores"][0]
    template = shop["templates"][2]
    a_day_ago = now_utc() - timedelta(days=1)
    code = _claim(db, merchant, template, shop["members"][0], "h5", "late", a_day_ago - timedelta(hours=1))
    record = till_codes.verify_id(db.session, shop["owner"], code.id, store_id=store.id, method="manual", key="v:late",
                                  amount_received=1200, now=a_day_ago)
    db.session.commit()
    day = rollups.day_of(a_day_ago, merchant.timezone)
    before = as_plain(figures.read(db.session, merchant, "coupons", day, day, store_id=store.id))
    db.session.commit()

    # a refund at the till gives the coupon back a day later: the undo is counted on its own day
    record.undone_at = now_utc()
    db.session.commit()
    rollups.rebuild_day(db.session, merchant.id, merchant.timezone, catalogue.family("coupons"), day)
    db.session.commit()
    assert as_plain(figures.read(db.session, merchant, "coupons", day, day, store_id=store.id)) == before
    assert before[day][f"used:{template.id}"] == (1, 1200)
    today = local_today(merchant.timezone)
    assert as_plain(figures.read(db.session, merchant, "coupons", today, today, store_id=store.id))[today] == {
        f"undone:{template.id}": (1, 1200)}
    assert db.session.scalar(select(ReportDaily.count).where(ReportDaily.key == f"used:{template.id}")) == 1
