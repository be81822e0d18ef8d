"""The cards family against PostgreSQL: a generated month of count, timed, gift and benefit cards bought (orders
paid), given, passed to friends and activated from a physical batch, used in three stores with undos, and refunded
(orders and benefit-card take-backs), read from the rollups, equals direct counts over the raw rows; another
merchant's cards never show."""
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels import payment_channels
from domain.clock import local_today, now_utc
from domain.errors import DomainError
from domain.orders import Expected
from models import Card, CardRefund, Order, OrderRefund, Verification
from services.cards import (benefit_issue, benefit_refunds, benefit_templates, count_timed_issue,
                            count_timed_templates, count_timed_use, gift_activation, gift_batches, gift_issue,
                            gift_spend, gift_templates, gift_transfer)
from services.orders import card_sales, gift_card_sales, refunds, settlement
from services.reports import figures, rollups
from services.verification import instruments

MONTH = {"label": "月卡", "days": 30, "price": 9900}
WEEK = {"label": "周卡", "days": 7, "price": 2900}


class FakeChannel:
    """Stands in for a payment channel: every refund succeeds at once."""

    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        return {"refund_id": f"CH{out_refund_no}", "status": "succeeded"}


@pytest.fixture(autouse=True)
def fake_channel(monkeypatch):
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: FakeChannel)


def card_templates(db, owner):
    return dict(
        count=count_timed_templates.save_template(db.session, owner, None, kind="count", title="洗车十次卡",
                                                  service_name="精洗", uses=10, price=10000),
        timed=count_timed_templates.save_template(db.session, owner, None, kind="timed", title="健身卡",
                                                  tiers=[MONTH, WEEK], start_mode="first_use"),
        gift=gift_templates.save_template(db.session, owner, None, title="新春礼品卡", face_values=[5000, 10000],
                                          themes=[{"label": "春节", "color": "#c0392b"}], activation="auto",
                                          valid_days=365),
        benefit=benefit_templates.save_template(db.session, owner, None, title="黄金权益卡", price=9900, valid_days=30,
                                                discount_percent=90, points_multiplier=200, free_items=[],
                                                gift_pack=[]),
    )


@pytest.fixture()
def shop(db, make):
    return make_shop(db, make)


def make_shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    stores = [make.store(merchant, name=name) for name in ("一号店", "二号店", "三号店")]
    members = [make.member(merchant) for _ in range(8)]
    db.session.flush()
    templates = card_templates(db, owner)
    other = make.merchant(slug="other-cards")
    other_owner = make.staff(other, role="owner")
    other_store, other_member = make.store(other), make.member(other)
    db.session.flush()
    other_templates = card_templates(db, other_owner)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, stores=stores, members=members, templates=templates, other=other,
                other_owner=other_owner, other_store=other_store, other_member=other_member,
                other_templates=other_templates)


def pay(db, merchant, order, when):
    settlement.record_payment(db.session, merchant, order, amount=order.amount, currency="CNY", app_id="wx",
                              merchant_no="m", channel_trade_no=f"T{order.id}", payer="o",
                              expected=Expected(order.amount, "CNY", "wx", "m"), now=when)
    return db.session.get(Order, order.id)


def buy_card(db, merchant, template, member, key, when, tier_key=None):
    order = card_sales.create_order(db.session, merchant, member.id, template_id=template.id, tier_key=tier_key,
                                    channel="wechat", key=key, now=when)
    return pay(db, merchant, order, when)


def buy_gift_cards(db, merchant, template, member, key, when, rng):
    lines = [{"face_value": rng.choice([5000, 10000]), "quantity": rng.randint(1, 2)}]
    order = gift_card_sales.create_order(db.session, merchant, member.id, template.id, lines, key=key,
                                         channel="wechat", now=when)
    return pay(db, merchant, order, when)


class Month:
    """One shop's generated month: every action in its own savepoint, a refusal (a card used up, a lapsed card)
    simply skipped, since the figures must equal whatever the raw rows hold."""

    def __init__(self, db, shop, merchant, owner, templates, members, stores, rng):
        self.db, self.merchant, self.owner, self.templates = db, merchant, owner, templates
        self.members, self.stores, self.rng = members, stores, rng

    def attempt(self, action, *args, **kwargs):
        try:
            with self.db.session.begin_nested():
                return action(*args, **kwargs)
        except DomainError:
            return None

    def use(self, card_id, kind, when, key):
        rng, store = self.rng, self.rng.choice(self.stores)
        if kind == "gift":
            record = gift_spend.spend(self.db.session, self.owner, card_id, store_id=store.id, method="manual",
                                      key=key, amount=rng.randint(100, 3000), now=when)
        else:
            record = count_timed_use.use(self.db.session, self.owner, card_id, store_id=store.id, method="manual",
                                         key=key, quantity=rng.randint(1, 3) if kind == "count" else None, now=when)
        if rng.random() < 0.25:
            instruments.undo(self.db.session, self.owner, record.id, now=when + timedelta(minutes=rng.randint(1, 9)))
        return record

    def day(self, day, when):
        rng, merchant, templates = self.rng, self.merchant, self.templates
        member = rng.choice(self.members)
        kind = rng.choice(["count", "timed", "gift", "benefit"])
        template, key = templates[kind], f"{day}:{kind}:{rng.randint(0, 10 ** 9)}"
        later = when + timedelta(hours=rng.randint(1, 5))
        if kind == "gift":
            order = self.attempt(buy_gift_cards, self.db, merchant, template, member, key, when, rng)
            for card_id in (order.fulfilment["card_ids"] if order else []):
                self.attempt(self.use, card_id, "gift", later, f"u:{card_id}")
        elif rng.random() < 0.8:
            tier = template.tiers[rng.randint(0, 1)]["key"] if kind == "timed" else None
            order = self.attempt(buy_card, self.db, merchant, template, member, key, when, tier)
            card_id = order and (order.fulfilment.get("shown_card_id") or order.fulfilment["card_id"])
            if card_id and kind != "benefit":
                self.attempt(self.use, card_id, kind, later, f"u:{key}")
            if order and rng.random() < 0.35:
                self.attempt(refunds.refund_order, self.db.session, self.owner, order.id,
                             rng.randint(1, order.amount), reason="顾客要求", key=f"rf:{key}",
                             now=later + timedelta(minutes=30))
        else:
            self.give(kind, template, member, key, when, later)

    def give(self, kind, template, member, key, when, later):
        session, merchant = self.db.session, self.merchant
        if kind == "benefit":
            card = self.attempt(benefit_issue.issue, session, merchant, template.id, member.id, channel="staff",
                                key=key, now=when)
            if card is not None:
                self.attempt(benefit_refunds.refund, session, self.owner, card.id, with_money=False, amount=0,
                             take_back_coupons=False, reason="", key=f"take:{key}", now=later)
        elif kind == "gift":
            card = self.attempt(gift_issue.issue_electronic, session, merchant, template.id, member.id,
                                face_value=5000, theme=None, channel="campaign", key=key, now=when)
            friend = next(m for m in self.members if m.id != member.id)
            if card is not None:
                _, token = gift_transfer.create_transfer(session, merchant, member.id, card.id, now=when)
                gift_transfer.accept_transfer(session, merchant, friend.id, token, now=later)
        else:
            tier = template.tiers[0]["key"] if kind == "timed" else None
            card = self.attempt(count_timed_issue.issue, session, merchant, template.id, member.id, channel="staff",
                                key=key, tier_key=tier, now=when)
            if card is not None and card.extended_into_id is None:
                self.attempt(self.use, card.id, kind, later, f"u:{key}")


def generate_month(db, shop, days=30, per_day=4, seed=5):
    rng = random.Random(seed)
    now = now_utc()
    start = now - timedelta(days=days)
    month = Month(db, shop, shop["merchant"], shop["owner"], shop["templates"], shop["members"], shop["stores"], rng)
    for day in range(days + 1):
        for _ in range(per_day):
            when = min(start + timedelta(days=day, minutes=rng.randint(0, 60 * 16)), now - timedelta(hours=8))
            month.day(day, when)
            db.session.commit()
    batch = gift_batches.create_batch(db.session, shop["owner"], shop["templates"]["gift"].id, 10000, 3)
    db.session.commit()
    for n, card in enumerate(db.session.scalars(select(Card).where(Card.batch_id == batch.id).order_by(Card.id))):
        if n < 2:
            gift_activation.bind(db.session, shop["merchant"], shop["members"][n].id, card.card_no, card.pin,
                                 now=now - timedelta(days=n * 3, hours=1))
            db.session.commit()
    other = Month(db, shop, shop["other"], shop["other_owner"], shop["other_templates"], [shop["other_member"]],
                  [shop["other_store"]], rng)
    for day in range(0, days, 5):
        other.day(day, now - timedelta(days=day, hours=9))
        db.session.commit()


def direct_counts(db, merchant, first, last):
    """{(day, store id): {key: (count, amount)}} counted in Python over every raw row of the merchant."""
    tz = merchant.timezone
    table = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def add(moment, store, key, count, amount):
        day = rollups.day_of(moment, tz)
        if first <= day <= last:
            table[(day, store)][key][0] += count
            table[(day, store)][key][1] += amount

    for card in db.session.scalars(select(Card).where(Card.merchant_id == merchant.id)):
        if card.batch_id is not None:
            if card.activated_at is not None:
                add(card.activated_at, 0, f"activated:{card.template_id}", 1, card.face_value)
        elif card.channel == "purchase":
            add(card.created_at, 0, f"sold:{card.template_id}", 1, card.price_paid or 0)
        elif card.channel != "friend":
            add(card.created_at, 0, f"given:{card.template_id}", 1, 0)
    for record in db.session.scalars(select(Verification).where(Verification.merchant_id == merchant.id,
                                                                Verification.card_id.is_not(None))):
        template_id, uses, spent = record.card.template_id, record.quantity or 1, record.amount_taken or 0
        add(record.created_at, record.store_id, f"used:{template_id}", uses, spent)
        if record.undone_at is not None:
            add(record.undone_at, record.store_id, f"undone:{template_id}", uses, spent)
    for refund in db.session.scalars(select(CardRefund).where(CardRefund.merchant_id == merchant.id)):
        add(refund.created_at, 0, f"refunded:{refund.card.template_id}", 1, refund.amount)
    for refund in db.session.scalars(select(OrderRefund).where(OrderRefund.merchant_id == merchant.id)):
        if refund.order.kind in ("count_card", "timed_card") and refund.state != "failed":
            add(refund.created_at, 0, f"refunded:{refund.order.items['template_id']}", 1, refund.amount)
    return {group: {key: tuple(v) for key, v in keys.items()} for group, keys in table.items()}


def as_plain(table):
    return {group: {key: (f.count, f.amount) for key, f in keys.items() if f.count or f.amount}
            for group, keys in table.items() if any(f.count or f.amount for f in keys.values())}


def test_does_a_month_of_cards_read_from_rollups_equal_the_raw_rows(db, shop):
    generate_month(db, shop)
    merchant = shop["merchant"]
    today = local_today(merchant.timezone)
    first = today - timedelta(days=30)

    read = figures.read(db.session, merchant, "cards", first, today, group="day_store")
    db.session.commit()
    expected = direct_counts(db, merchant, first, today)
    assert as_plain(read) == expected
    keys = {key.split(":")[0] for figures_ in expected.values() for key in figures_}
    assert keys == {"sold", "given", "activated", "used", "undone", "refunded"}  # every figure exercised
    kinds = {shop["templates"][kind].id: kind for kind in shop["templates"]}
    used = {kinds[int(key.split(":")[1])] for figures_ in expected.values() for key in figures_
            if key.startswith("used:")}
    refunded = {kinds[int(key.split(":")[1])] for figures_ in expected.values() for key in figures_
                if key.startswith("refunded:")}
    assert used == {"count", "timed", "gift"} and refunded == {"count", "timed", "benefit"}
    others = {t.id for t in shop["other_templates"].values()}
    assert not any(int(key.split(":")[1]) in others for figures_ in expected.values() for key in figures_)
    assert direct_counts(db, shop["other"], first, today)  # the other merchant did have cards

    store = shop["stores"][2]
    per_store = figures.read(db.session, merchant, "cards", first, today, store_id=store.id)
    assert as_plain(per_store) == {day: keys for (day, store_id), keys in expected.items() if store_id == store.id}
