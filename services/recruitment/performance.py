"""Staff performance (店员绩效): per staff member and period, the members they recruited, the paid memberships,
cards and top-ups they brought in, the payments they took at the till and the verifications they did, with the
commission they earned; the table, its totals and its spreadsheet.

Each figure is one GROUP BY over its own table (attributions, cards, checkouts, verifications, commission entries),
never a loop over rows. Money brought in is counted net of refunds, and an order or payment refunded in whole is
not counted at all, so a figure reads what the shop kept. Cards a staff member issued in the back office
(channel 'staff') count as theirs; they belong to no store, so a store filter leaves them out.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, or_, select

from domain import roles
from domain.clock import local_midnight_utc, local_today
from domain.commission import CARD_ORDER_KINDS
from domain.money import format_yuan
from models import Attribution, Card, Order, Staff, Store, Verification
from models.checkout import Checkout
from models.commission import CommissionEntry
from services.recruitment import commission_rules
from services.shared.id_lists import among
from services.shared.tenancy import get_owned

CARD_LABELS = {"benefit_card": "权益卡", "count_card": "次卡", "timed_card": "时长卡", "gift_card": "礼品卡"}
CARD_COLUMNS = ("benefit_card", "count_card", "timed_card", "gift_card")
MAX_DAYS = 366 * 3  # a longer range is cut to three years (a report, not an archive dump)


@dataclass
class Figures:
    """One staff member's (or the total's) figures; money in fen."""

    recruits: int = 0
    paid_memberships: int = 0
    paid_membership_amount: int = 0
    cards: dict = field(default_factory=lambda: {kind: [0, 0] for kind in CARD_COLUMNS})  # kind -> [count, fen]
    topups: int = 0
    topup_amount: int = 0
    payments: int = 0
    payment_amount: int = 0
    verifications: int = 0
    commission: int = 0

    @property
    def cards_sold(self):
        return sum(count for count, _ in self.cards.values())

    @property
    def card_amount(self):
        return sum(amount for _, amount in self.cards.values())

    def add(self, other):
        for name in ("recruits", "paid_memberships", "paid_membership_amount", "topups", "topup_amount", "payments",
                     "payment_amount", "verifications", "commission"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind in CARD_COLUMNS:
            self.cards[kind] = [a + b for a, b in zip(self.cards[kind], other.cards[kind])]


@dataclass
class Row:
    staff_id: int
    name: str
    role_label: str
    active: bool
    figures: Figures


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date  # inclusive, merchant-local

    def bounds(self, tz_name):
        return (local_midnight_utc(self.date_from, tz_name),
                local_midnight_utc(self.date_to + timedelta(days=1), tz_name))


def period_of(date_from, date_to, tz_name, today=None):
    """The period asked for: by default this month up to today; swapped when given backwards, at most MAX_DAYS."""
    today = today or local_today(tz_name)
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days > MAX_DAYS:
        date_from = date_to - timedelta(days=MAX_DAYS)
    return Period(date_from, date_to)


def store_of(session, merchant_id, store_id):
    """The chosen store (NotFound for another merchant's id), or None for every store."""
    return get_owned(session, Store, merchant_id, store_id) if store_id else None


def report(session, merchant_id, period, tz_name, store_id=None, with_commission=False):
    """(rows, total): one row per staff member with any figure, and every active staff member (of the store, when
    one is chosen) even with none, so a quiet month shows who did nothing; the busiest first."""
    start, end = period.bounds(tz_name)
    figures = collect(session, merchant_id, start, end, store_id=store_id, with_commission=with_commission)
    people = session.execute(_people(merchant_id, store_id, figures.keys())).all()
    rows = [Row(person.id, person.name, roles.ROLE_LABELS.get(person.role, person.role), person.active,
                figures.get(person.id) or Figures()) for person in people]
    rows.sort(key=lambda r: (-r.figures.recruits, -r.figures.payment_amount, -r.figures.topup_amount, r.staff_id))
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return rows, total


def _people(merchant_id, store_id, with_figures):
    busy = Staff.id.in_(list(with_figures)) if with_figures else literal(False)
    quiet = Staff.active.is_(True)
    if store_id:
        quiet = and_(quiet, Staff.stores.any(Store.id == store_id))
    return (select(Staff.id, Staff.name, Staff.role, Staff.active)
            .where(Staff.merchant_id == merchant_id, or_(busy, quiet)))


def of_staff(session, merchant_id, staff_id, period, tz_name, with_commission=True):
    """One staff member's figures (the staff page's 我的: this month)."""
    start, end = period.bounds(tz_name)
    return collect(session, merchant_id, start, end, staff_id=staff_id,
                   with_commission=with_commission).get(staff_id) or Figures()


def collect(session, merchant_id, start, end, store_id=None, staff_id=None, with_commission=False):
    """{staff_id: Figures} for everything recorded in [start, end)."""
    figures = {}

    def of(person):
        return figures.setdefault(person, Figures())

    for person, event, kind, count, amount in session.execute(
            _attributions(merchant_id, start, end, store_id, staff_id)):
        _credit_attribution(of(person), event, kind, int(count), int(amount))
    if not store_id:  # cards issued in the back office belong to no store
        for person, kind, count, amount in session.execute(_direct_cards(merchant_id, start, end, staff_id)):
            column = of(person).cards[f"{kind}_card"]
            column[0] += int(count)
            column[1] += int(amount)
    for person, count, amount in session.execute(_payments(session, merchant_id, start, end, store_id, staff_id)):
        of(person).payments, of(person).payment_amount = int(count), int(amount)
    for person, count in session.execute(_verifications(merchant_id, start, end, store_id, staff_id)):
        of(person).verifications = int(count)
    if with_commission and not store_id:  # commission belongs to a person, not to a store
        for person, amount in session.execute(_commission(merchant_id, start, end, staff_id)):
            of(person).commission = int(amount)
    return figures


def _credit_attribution(figures, event, kind, count, amount):
    if event == "join":
        figures.recruits += count
    elif event == "paid_membership":
        figures.paid_memberships += count
        figures.paid_membership_amount += amount
    elif event == "topup":
        figures.topups += count
        figures.topup_amount += amount
    elif event == "card_purchase" and kind in CARD_COLUMNS:
        figures.cards[kind][0] += count
        figures.cards[kind][1] += amount


def _attributions(merchant_id, start, end, store_id, staff_id):
    """Per staff, event and card kind: how many (orders refunded in whole left out) and the money kept. An event's
    order (or card) gives its kind and its refunds; a card issued at the counter is counted by _direct_cards."""
    order_kind = case((Order.kind.in_(CARD_ORDER_KINDS), Order.kind),
                      else_=func.coalesce(Card.kind, "") + "_card")
    from_order = Attribution.reference_kind == "order"
    whole_refund = and_(from_order, Order.state == "refunded")
    kept = case((whole_refund, 0), (from_order, Order.amount - Order.refunded_amount), else_=Attribution.amount)
    counted = case((whole_refund, 0), else_=1)
    kind = case((Attribution.event == "card_purchase", order_kind), else_="")
    query = (select(Attribution.staff_id, Attribution.event, kind, func.sum(counted), func.sum(kept))
             .outerjoin(Order, and_(from_order, Order.id == Attribution.reference_id, Order.merchant_id == merchant_id))
             .outerjoin(Card, and_(Attribution.reference_kind == "card", Card.id == Attribution.reference_id,
                                   Card.merchant_id == merchant_id))
             .where(Attribution.merchant_id == merchant_id, Attribution.staff_id.is_not(None),
                    Attribution.event.in_(("join", "paid_membership", "topup", "card_purchase")),
                    Attribution.created_at >= start, Attribution.created_at < end,
                    or_(Card.id.is_(None), Card.channel != "staff"))
             .group_by(Attribution.staff_id, Attribution.event, kind))
    if store_id:
        query = query.where(Attribution.store_id == store_id)
    if staff_id:
        query = query.where(Attribution.staff_id == staff_id)
    return query


def _direct_cards(merchant_id, start, end, staff_id):
    """Cards a staff member issued or sold in the back office (given to a member, not bought online)."""
    query = (select(Card.issued_by_id, Card.kind, func.count(Card.id), func.coalesce(func.sum(Card.price_paid), 0))
             .where(Card.merchant_id == merchant_id, Card.channel == "staff", Card.issued_by_id.is_not(None),
                    Card.member_id.is_not(None), Card.state != "refunded",
                    Card.created_at >= start, Card.created_at < end)
             .group_by(Card.issued_by_id, Card.kind))
    return query.where(Card.issued_by_id == staff_id) if staff_id else query


def _payments(session, merchant_id, start, end, store_id, staff_id):
    """Payments each staff member took at the till: those not refunded in whole, and what was kept of them. The
    stores are named so the checkouts' (store_id, created_at) index finds the period's rows."""
    if store_id:
        in_stores = Checkout.store_id == store_id
    else:
        stores = session.scalars(select(Store.id).where(Store.merchant_id == merchant_id)).all()
        in_stores = among(session, Checkout.store_id, stores)
    query = (select(Checkout.staff_id, func.sum(case((Checkout.state == "refunded", 0), else_=1)),
                    func.coalesce(func.sum(Checkout.pay - Checkout.refunded_amount), 0))
             .where(Checkout.merchant_id == merchant_id, in_stores, Checkout.staff_id.is_not(None),
                    Checkout.created_at >= start, Checkout.created_at < end)
             .group_by(Checkout.staff_id))
    return query.where(Checkout.staff_id == staff_id) if staff_id else query


def _verifications(merchant_id, start, end, store_id, staff_id):
    """Verifications each staff member did (undone ones left out)."""
    query = (select(Verification.staff_id, func.count(Verification.id))
             .where(Verification.merchant_id == merchant_id, Verification.staff_id.is_not(None),
                    Verification.undone_at.is_(None), Verification.created_at >= start, Verification.created_at < end)
             .group_by(Verification.staff_id))
    if store_id:
        query = query.where(Verification.store_id == store_id)
    return query.where(Verification.staff_id == staff_id) if staff_id else query


def _commission(merchant_id, start, end, staff_id):
    query = (select(CommissionEntry.staff_id, func.sum(CommissionEntry.amount))
             .where(CommissionEntry.merchant_id == merchant_id, CommissionEntry.created_at >= start,
                    CommissionEntry.created_at < end)
             .group_by(CommissionEntry.staff_id))
    return query.where(CommissionEntry.staff_id == staff_id) if staff_id else query


# --- the spreadsheet --------------------------------------------------------------------------------------------

def header(with_commission):
    cards = [f"{CARD_LABELS[k]}{what}" for k in CARD_COLUMNS for what in ("（张）", "（元）")]
    head = ["店员", "角色", "拉新会员", "付费会员", "付费会员（元）", *cards, "充值笔数", "充值（元）", "收款笔数",
            "收款（元）", "核销次数"]
    return tuple(head + (["提成（元）"] if with_commission else []))


def _line(name, role, figures, money, with_commission):
    cards = [value if i % 2 == 0 else money(value)
             for i, value in enumerate(v for k in CARD_COLUMNS for v in figures.cards[k])]
    line = [name, role, figures.recruits, figures.paid_memberships, money(figures.paid_membership_amount), *cards,
            figures.topups, money(figures.topup_amount), figures.payments, money(figures.payment_amount),
            figures.verifications]
    return tuple(line + ([money(figures.commission)] if with_commission else []))


def _cell(text):
    """Text as a spreadsheet cell: a leading = + - @ would be run as a formula, so it is quoted."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def table(rows, total, with_commission, money=format_yuan):
    lines = [header(with_commission)]
    lines += [_line(_cell(r.name), r.role_label, r.figures, money, with_commission) for r in rows]
    lines.append(_line("合计", "", total, money, with_commission))
    return lines


# --- the staff page's 我的 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MyMonth:
    period: Period
    figures: Figures
    shows_commission: bool  # the merchant pays commission, or the staff member earned some this month


def my_month(session, staff, today=None):
    """A staff member's own figures this month so far, for their 我的 tab."""
    tz_name = staff.merchant.timezone
    period = period_of(None, None, tz_name, today)
    figures = of_staff(session, staff.merchant_id, staff.id, period, tz_name)
    enabled = commission_rules.rule_for_earning(session, staff.merchant_id).enabled
    return MyMonth(period, figures, enabled or figures.commission != 0)
