"""Generated data for the channel report's tests: a merchant with two stores, codes of stores and staff, share
channels, a member's invite link, a send and a campaign; members who joined through each of them, through a staff
member's hands and through nobody; payments at the till (some partly from stored value, one before joining) and
online (top-ups, cards, self-pay), refunds inside and outside the first 30 days, and credited events.

Every row is also kept in plain Python (`World.joins`, `.moves`, `.events`), so the tests can work out each figure
by a direct count or sum over what was made, independently of the report's SQL."""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from domain import roles
from domain.clock import local_midnight_utc
from models import Checkout, CheckoutRefund, Member, Order, OrderRefund
from services.campaigns import setup as campaign_setup
from services.outreach import compose
from services.recruitment import attribution, coupon_claims, sources
from services.recruitment.attribution import NOBODY, Touch
from services.recruitment.payments import ORDER_EVENTS

TZ = "Asia/Shanghai"
FIRST, LAST = date(2025, 3, 1), date(2025, 3, 31)
START, END = local_midnight_utc(FIRST, TZ), local_midnight_utc(LAST + timedelta(days=1), TZ)
DAY = timedelta(days=1)


@dataclass
class Join:
    member_id: int
    at: datetime
    source_id: int | None
    staff_id: int | None  # who acted, as credited
    store_id: int | None
    staff_key: int | None  # the source's staff member, else who acted


@dataclass
class World:
    merchant: object
    stores: list
    staff: dict
    sources: dict  # name -> RecruitSource
    joins: list = field(default_factory=list)
    moves: list = field(default_factory=list)  # (member_id, at, paid_at, money, is_payment)
    events: list = field(default_factory=list)  # (event, source_id, staff_id, store_id, staff_key, at, order)
    counter: int = 0

    def next(self):
        self.counter += 1
        return self.counter


def build(db, make, seed=22, size=54, slug=None):
    session = db.session
    rng = random.Random(seed)
    merchant = make.merchant(slug=slug, timezone=TZ, with_levels=False)
    stores = [make.store(merchant, name="一号店"), make.store(merchant, name="二号店")]
    owner = make.staff(merchant, role=roles.OWNER)
    guide = make.staff(merchant, role=roles.GUIDE, stores_=[stores[0]])
    cashier = make.staff(merchant, role=roles.CASHIER, stores_=[stores[1]])
    send = compose.save_draft(session, owner, None, {"title": "三月上新", "text": "你好"})
    campaign = campaign_setup.save(session, owner, None, name="生日礼", kind="birthday",
                                   schedule={"mode": "days_before", "days_before": 3, "hour": 9}, rewards={"points": 10})
    inviter = _new_member(session, merchant, "13800000001", START - 300 * DAY, name="老会员")
    world = World(merchant, stores, {"owner": owner, "guide": guide, "cashier": cashier}, {
        "store1": sources.for_store(session, stores[0]),
        "store2_unused": sources.for_store(session, stores[1]),
        "guide": sources.for_staff(session, guide, store_id=stores[0].id),
        "cashier_poster": sources.for_staff(session, cashier, store_id=stores[1].id, share_channel="poster"),
        "moments": sources.for_share(session, merchant.id, "moments"),
        "invite": sources.for_member(session, inviter, share_channel="wechat"),
        "send": sources.for_send(session, merchant.id, send.id, send.title),
        "campaign": sources.for_campaign(session, merchant.id, campaign.id, campaign.name),
    })
    ways = ["store1", "guide", "cashier_poster", "moments", "invite", "send", "campaign", "assisted", "untouched",
            "nobody"]
    for index in range(size):
        _member(world, session, rng, ways[index % len(ways)], index)
    _refunds(world, session)
    session.commit()
    return world


def _member(world, session, rng, way, index):
    joined_at = START - 6 * DAY + timedelta(seconds=rng.randint(0, 40 * 86400))
    early = way != "untouched" and index % 5 == 0  # on the books (and paying) before they claimed the card
    member = _new_member(session, world.merchant, f"137{world.merchant.id % 100:02d}{index:06d}",
                         joined_at - 10 * DAY if early else joined_at)
    touch = _touch(world, way)
    if way != "untouched":
        attribution.record(session, world.merchant.id, member.id, "join", key=f"join:{member.id}", touch=touch,
                           now=joined_at)
    source = session.get(type(world.sources["store1"]), touch.source_id) if touch.source_id else None
    world.joins.append(Join(member.id, joined_at, touch.source_id, touch.staff_id, touch.store_id,
                            (source.staff_id if source is not None else None) or touch.staff_id))
    if early:
        _checkout(world, session, member, joined_at - 5 * DAY, pay=3000, from_balance=0)
    for _ in range(rng.randint(0, 4)):
        at = joined_at + timedelta(seconds=rng.randint(60, 45 * 86400))
        kind = rng.choice(["till", "till_balance", "topup", "card", "self_pay", "claim", "membership", "coupons"])
        amount = rng.randint(1, 500) * 100
        if kind == "till":
            _checkout(world, session, member, at, pay=amount, from_balance=0)
        elif kind == "till_balance":
            _checkout(world, session, member, at, pay=amount, from_balance=rng.randint(0, amount))
        elif kind == "self_pay":
            order = _order(world, session, member, at, "self_pay", amount)
            _checkout(world, session, member, at, pay=amount, from_balance=0, order=order)
        elif kind == "claim":
            code_id = 9000 + world.next()
            if coupon_claims.credit_claim(session, world.merchant.id, member.id, code_id, touch, now=at):
                world.events.append(("coupon_claim", touch.source_id, touch.staff_id, touch.store_id,
                                     world.joins[-1].staff_key, at, None))
        else:
            order_kind = {"topup": "topup", "card": "count_card", "membership": "benefit_card", "coupons": "coupon"}[kind]
            by = rng.choice(["joined", "none", "guide_link", "counter"])
            order = _order(world, session, member, at, order_kind, amount, **_order_touch(world, by, touch))
            _credit(world, session, order, "paid_membership" if kind == "membership" else ORDER_EVENTS[order_kind])


def _new_member(session, merchant, mobile, created_at, name=None):
    """A member row as the member services leave it (the join's own steps are not under test here)."""
    member = Member(merchant_id=merchant.id, mobile=mobile, name=name, status="active", custom_fields={},
                    points_balance=0, total_spend=0, total_topup=0, visit_count=0, created_at=created_at)
    session.add(member)
    session.flush()
    return member


def _touch(world, way):
    if way in ("untouched", "nobody"):
        return NOBODY
    if way == "assisted":
        return Touch(staff_id=world.staff["cashier"].id, store_id=world.stores[1].id)
    return Touch.of(world.sources[way])


def _order_touch(world, by, joined_touch):
    if by == "joined":
        return {"source_id": joined_touch.source_id, "staff_id": joined_touch.staff_id,
                "store_id": joined_touch.store_id}
    if by == "guide_link":
        source = world.sources["guide"]
        return {"source_id": source.id, "staff_id": source.staff_id, "store_id": source.store_id}
    if by == "counter":
        return {"staff_id": world.staff["cashier"].id, "store_id": world.stores[1].id, "channel": "cash"}
    return {}


def _checkout(world, session, member, at, *, pay, from_balance, order=None):
    n = world.next()
    row = Checkout(merchant_id=world.merchant.id, member_id=member.id, store_id=world.stores[n % 2].id,
                   source="staff", amount=pay, discount=0, pay=pay, tender="balance" if from_balance == pay else "cash",
                   balance_paid=from_balance, idempotency_key=f"world:{n}" if order is None else f"self_pay:{order.id}",
                   state="paid", created_at=at)
    session.add(row)
    session.flush()
    world.moves.append([member.id, at, at, pay - from_balance, True, row])
    return row


def _order(world, session, member, at, kind, amount, source_id=None, staff_id=None, store_id=None, channel="wechat"):
    n = world.next()
    row = Order(merchant_id=world.merchant.id, member_id=member.id, store_id=store_id, kind=kind, state="fulfilled",
                channel=channel, out_trade_no=f"W{world.merchant.id}N{n}", amount=amount, description=kind,
                items={}, idempotency_key=f"world:{n}", expires_at=at + DAY, paid_at=at, fulfilled_at=at,
                created_at=at - timedelta(minutes=1), source_id=source_id, staff_id=staff_id)
    session.add(row)
    session.flush()
    if kind != "self_pay":
        world.moves.append([member.id, at, at, amount, True, row])
    return row


def _credit(world, session, order, event):
    touch = attribution.order_touch(session, order)
    attribution.record(session, world.merchant.id, order.member_id, event, key=f"order:{order.id}", touch=touch,
                       reference=("order", order.id), amount=order.amount, now=order.paid_at)
    source = sources.get(session, world.merchant.id, touch.source_id)
    world.events.append((event, touch.source_id, touch.staff_id, touch.store_id,
                         source.staff_id if source is not None and source.staff_id else touch.staff_id,
                         order.paid_at, order))


def _refunds(world, session):
    """A part refund of a top-up a day after it was paid, one of a card that the channel failed (the money went to
    the member's balance: kept), one of a till payment partly back to the balance, and one of a till payment made
    in the first 30 days but refunded after them."""
    orders = [m[5] for m in world.moves if isinstance(m[5], Order)]
    tills = [m[5] for m in world.moves if isinstance(m[5], Checkout) and not m[5].idempotency_key.startswith("self")]
    topup = next(o for o in orders if o.kind == "topup")
    card = next(o for o in orders if o.kind == "count_card")
    _order_refund(world, session, topup, topup.amount * 3 // 10, topup.paid_at + DAY, "succeeded")
    _order_refund(world, session, card, card.amount, card.paid_at + 2 * DAY, "failed")
    balance_part = next(c for c in tills if 0 < c.balance_paid < c.pay)
    _till_refund(world, session, balance_part, balance_part.pay, balance_part.balance_paid, balance_part.created_at + DAY)
    late = next(c for c in tills if c is not balance_part and c.balance_paid == 0 and c.pay > 0)
    _till_refund(world, session, late, late.pay // 2, 0, late.created_at + 40 * DAY)


def _order_refund(world, session, order, amount, at, state):
    n = world.next()
    session.add(OrderRefund(merchant_id=world.merchant.id, order_id=order.id, amount=amount, reason="测试",
                            out_refund_no=f"R{world.merchant.id}N{n}", state=state, idempotency_key=f"world:r{n}",
                            created_at=at))
    order.refunded_amount += amount
    session.flush()
    if state != "failed":
        world.moves.append([order.member_id, at, order.paid_at, -amount, False, None])


def _till_refund(world, session, checkout, amount, balance_back, at):
    n = world.next()
    session.add(CheckoutRefund(merchant_id=world.merchant.id, checkout_id=checkout.id, amount=amount,
                               balance_back=balance_back, reason="测试", idempotency_key=f"world:r{n}", created_at=at))
    checkout.refunded_amount += amount
    session.flush()
    world.moves.append([checkout.member_id, at, checkout.created_at, balance_back - amount, False, None])


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
