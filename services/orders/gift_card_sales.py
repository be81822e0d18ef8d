"""Selling gift cards to members (礼品卡中心): what is on sale, a server-side price for one or several cards of
one template and theme, the unpaid order with its stock reserved, the release when it closes unpaid, and the
cards a member bought with where each one went (我购买的礼品卡).

Cards are sold at face value, so the price is computed here from the template's face values, never taken from
the browser. Stock is reserved when the order is created (one conditional UPDATE for all its cards), so twenty
members racing for the last five cards get five orders; the fulfiller then issues without counting again.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain import cards as card_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, IdempotencyMismatch
from domain.money import MAX_FEN
from models import Card, CardTemplate, Member, Order, Transfer, Wallet
from services.cards import gift_templates
from services.shared import idempotency
from services.orders import orders, stock_reservations
from services.shared.tenancy import get_owned, scoped

KIND = "gift_card"
MAX_PER_LINE = 10
MAX_CARDS = 20
STATUS_LABELS = {"unused": "未使用", "in_use": "使用中", "giving": "转赠中", "given": "已转赠",
                 "used_up": "已用完", "expired": "已过期", "voided": "已作废"}


# --- on sale ---------------------------------------------------------------------------------------------

def on_sale(session, merchant_id):
    """Listed, enabled gift-card templates that offer at least one face value, in the order they were made."""
    rows = session.scalars(scoped(CardTemplate, merchant_id).where(
        CardTemplate.kind == card_rules.GIFT, CardTemplate.listed.is_(True), CardTemplate.disabled.is_(False))
        .order_by(CardTemplate.id)).all()
    return [row for row in rows if row.face_values]


def template_on_sale(session, merchant_id, template_id):
    """The template if members may buy it now; another merchant's (or another kind's) id is NotFound."""
    template = gift_templates.gift_template(session, merchant_id, template_id)
    if not template.listed or template.disabled or not template.face_values:
        raise Conflict("该礼品卡已下架")
    return template


def stock_left(template):
    """Cards still available, or None when the stock is unlimited."""
    if template.stock_total is None:
        return None
    return max(template.stock_total - template.stock_issued, 0)


# --- pricing and the order ---------------------------------------------------------------------------------

def quote(session, merchant, member, template_id, lines, *, theme=None):
    """(amount, items) for `lines` [{"face_value", "quantity"}] of one template: the sum of the face values.

    The buyer's real-name rule is checked here too, so a refusal comes before any stock is reserved.
    """
    template = template_on_sale(session, merchant.id, template_id)
    cleaned = clean_lines(template.face_values, lines)
    amount = sum(line["face_value"] * line["quantity"] for line in cleaned)
    if amount > MAX_FEN:
        raise DomainError("订单金额过大")
    orders.check_real_name(session, merchant.id, member, amount)
    items = {"template_id": template.id, "theme": _theme(template, theme), "lines": cleaned,
             "title": template.title}
    return amount, items


def clean_lines(face_values, lines):
    """Merge lines of the same face value and check them: offered face values, 1..10 each, 20 cards at most."""
    merged = {}
    for line in lines or ():
        value, quantity = line.get("face_value"), line.get("quantity")
        if not _is_int(value) or value not in face_values:
            raise DomainError("请选择礼品卡的面值")
        if not _is_int(quantity) or quantity < 1:
            raise DomainError(f"每种面值可购买 1 到 {MAX_PER_LINE} 张")
        merged[value] = merged.get(value, 0) + quantity
    if not merged:
        raise DomainError("请选择要购买的礼品卡")
    if any(quantity > MAX_PER_LINE for quantity in merged.values()):
        raise DomainError(f"每种面值可购买 1 到 {MAX_PER_LINE} 张")
    if sum(merged.values()) > MAX_CARDS:
        raise DomainError(f"一次最多购买 {MAX_CARDS} 张礼品卡")
    return [{"face_value": value, "quantity": merged[value]} for value in sorted(merged)]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _theme(template, theme):
    """The chosen theme's key; the first theme when none is chosen (what a card row stores)."""
    keys = [item["key"] for item in template.themes or ()]
    if not theme:
        return keys[0] if keys else None
    if theme not in keys:
        raise DomainError("请选择礼品卡的主题")
    return theme


def card_count(items):
    return sum(line["quantity"] for line in (items or {}).get("lines", ()))


def create_order(session, merchant, member_id, template_id, lines, *, key, channel, theme=None, now=None):
    """An unpaid gift-card order at the server's price with its cards reserved; the same key, the same order."""
    member = get_owned(session, Member, merchant.id, member_id)
    idempotency.check_key(key)
    existing = idempotency.find_existing(session, Order, merchant.id, key)
    if existing is not None:  # a resubmitted form: answered without pricing again (it may be paid by now)
        return _replay(existing, member.id, template_id)
    amount, items = quote(session, merchant, member, template_id, lines, theme=theme)
    description = f"{items['title'][:40]} 礼品卡 {card_count(items)} 张"
    try:
        with session.begin_nested():  # a refusal or a lost race on the key undoes the order and its reservation
            order = orders.create(session, merchant, member.id, kind=KIND, channel=channel, amount=amount,
                                  description=description, items=items, key=key, now=now)
            if order.items is not items:  # not ours: the key's order, committed meanwhile, reserved its own cards
                return _replay(order, member.id, template_id)
            _reserve(session, template_id, card_count(items))
            return order
    except IntegrityError:
        existing = idempotency.find_existing(session, Order, merchant.id, key)
        if existing is None:
            raise
        return _replay(existing, member.id, template_id)


def _replay(existing, member_id, template_id):
    idempotency.ensure_same_request(existing, member_id=member_id, kind=KIND)
    if (existing.items or {}).get("template_id") != template_id:
        raise IdempotencyMismatch("该幂等键已用于另一笔不同的操作", key=existing.idempotency_key, field="template_id")
    return existing


def _reserve(session, template_id, count):
    stock_reservations.reserve(session, CardTemplate, template_id, count, "礼品卡")


def release(session, order):
    """An order closed unpaid gives its reserved cards back (services/orders/settlement.close_if_unpaid calls this once)."""
    stock_reservations.release(session, CardTemplate, order.merchant_id, (order.items or {}).get("template_id"),
                               card_count(order.items))


# --- what a member bought -----------------------------------------------------------------------------------

@dataclass
class Bought:
    """One card as its buyer sees it: where it is now, and to whom it went if it was given away."""

    card: Card
    order: Order
    status: str
    balance: int
    given_to: Member | None = None
    given_at: object = None

    @property
    def label(self):
        return STATUS_LABELS[self.status]


def bought(session, merchant_id, member_id, *, now=None, limit=100):
    """[(order, [Bought])] of the member's paid gift-card orders, newest first.

    The cards are those the orders issued (their fulfilment), still the buyer's rows even after a transfer:
    a transfer ends the buyer's row as 'transferred' and opens a new row for the friend.
    """
    now = now or now_utc()
    paid = session.scalars(scoped(Order, merchant_id).where(
        Order.member_id == member_id, Order.kind == KIND, Order.fulfilled_at.is_not(None))
        .order_by(Order.id.desc()).limit(limit)).all()
    ids = [card_id for order in paid for card_id in (order.fulfilment or {}).get("card_ids", ())]
    cards = {card.id: card for card in session.scalars(scoped(Card, merchant_id).where(
        Card.id.in_(ids), Card.member_id == member_id, Card.kind == card_rules.GIFT))} if ids else {}
    balances = _balances(session, merchant_id, {c.wallet_id for c in cards.values() if c.wallet_id})
    given = _accepted_transfers(session, merchant_id, list(cards))
    return [(order, [_bought(cards[i], order, balances, given, now)
                     for i in (order.fulfilment or {}).get("card_ids", ()) if i in cards]) for order in paid]


def _bought(card, order, balances, given, now):
    transfer, friend = given.get(card.id, (None, None))
    balance = balances.get(card.wallet_id, 0)
    return Bought(card=card, order=order, status=status_of(card, balance, now), balance=balance,
                  given_to=friend, given_at=transfer.accepted_at if transfer else None)


def status_of(card, balance, now):
    """未使用 / 使用中 / 转赠中 / 已转赠 / 已用完 (and 已过期, 已作废) from the buyer's row and its balance."""
    if card.state == card_rules.TRANSFERRED:
        return "given"
    if card.state == card_rules.TRANSFERRING:
        return "giving"
    if card.state == card_rules.VOIDED:
        return "voided"
    if card.state == card_rules.USED_UP or balance <= 0:
        return "used_up"
    if card.state == card_rules.EXPIRED or (card.ends_at is not None and now >= card.ends_at):
        return "expired"
    return "in_use" if balance < card.face_value else "unused"


def _balances(session, merchant_id, wallet_ids):
    if not wallet_ids:
        return {}
    return dict(session.execute(select(Wallet.id, Wallet.principal + Wallet.bonus).where(
        Wallet.merchant_id == merchant_id, Wallet.id.in_(wallet_ids))).all())


def _accepted_transfers(session, merchant_id, card_ids):
    """{card id: (transfer, friend)} for cards a friend accepted (a card is given away at most once)."""
    if not card_ids:
        return {}
    rows = session.execute(select(Transfer, Member).join(Member, Member.id == Transfer.accepted_by_id).where(
        Transfer.merchant_id == merchant_id, Transfer.card_id.in_(card_ids),
        Transfer.accepted_at.is_not(None))).all()
    return {transfer.card_id: (transfer, friend) for transfer, friend in rows}


def masked(member):
    """The friend as the giver may see them: the surname, or the phone with its middle hidden."""
    if member is None:
        return ""
    name = (member.name or "").strip()
    if name:
        return name[0] + "*" * max(len(name) - 1, 1)
    mobile = member.mobile or ""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "****"
