"""Count, timed and benefit cards and coupons sold for money: priced from the template row, stock reserved.

Creating an order takes its units from the template's stock at once (one conditional UPDATE), so a paid order
always has its cards or codes waiting; the fulfiller then issues with `stock_reserved=True` and counts nothing
again. An order that closes unpaid gives its units back through `release` (services.orders.settlement.RELEASERS).
Per-member limits count the member's unpaid open orders too, under the member's row lock, so two open orders
cannot pass a limit together.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from domain import cards as card_rules
from domain import orders as order_rules
from domain import timed_cards as timed_rules
from domain.clock import local_today, now_utc
from domain.errors import Conflict, DomainError, IdempotencyMismatch, NotFound
from models import Card, CardTemplate, CouponCode, CouponTemplate, Member, Order
from services.cards import membership_holdings
from services.shared import idempotency
from services.orders import orders, stock_reservations
from services.shared.tenancy import get_owned, scoped

ORDER_KINDS = {card_rules.COUNT: "count_card", card_rules.TIMED: "timed_card", card_rules.BENEFIT: "benefit_card"}
MAX_COUPONS = 10


@dataclass(frozen=True)
class Quote:
    kind: str  # the order kind
    amount: int  # fen, what the member pays
    items: dict  # the priced snapshot kept on the order
    description: str


# --- pricing ----------------------------------------------------------------------------------------------

def quote(session, merchant, member, *, template_id, product="card", tier_key=None, quantity=1, now=None):
    """What buying this template costs this member, or a DomainError saying why it is not for sale."""
    if member.status != "active":
        raise Conflict("会员卡已停用，不能购买")
    now = now or now_utc()
    if product == "coupon":
        return _coupon_quote(session, merchant, member, _owned_id(session, CouponTemplate, merchant, template_id),
                             quantity, now)
    if product != "card":
        raise NotFound("记录不存在")
    if quantity != 1:
        raise DomainError("每次购买 1 张卡")
    return _card_quote(session, merchant, member, _owned_id(session, CardTemplate, merchant, template_id),
                       tier_key, now)


def _owned_id(session, model, merchant, template_id):
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        raise NotFound("记录不存在")
    return get_owned(session, model, merchant.id, template_id)


def _card_quote(session, merchant, member, template, tier_key, now):
    if template.kind not in ORDER_KINDS:
        raise NotFound("记录不存在")  # gift cards have their own shop
    _check_card_on_sale(template)
    price, tier = template.price, None
    if template.kind == card_rules.TIMED:
        tier = timed_rules.pick_tier(template.tiers, tier_key)
        price = tier.price
    if not price:
        raise DomainError("该卡无需购买，请联系商家领取" if template.kind != card_rules.BENEFIT else "该权益卡可免费领取，无需购买")
    if template.kind == card_rules.BENEFIT:
        _check_benefit_once(session, merchant, member, template, now)
        _check_pack(session, merchant, member, template)
        if template.membership:
            membership_holdings.check_may_buy(session, merchant.id, member.id, template, now)
    title = template.title if tier is None else f"{template.title}（{tier.label}）"
    items = {"template_id": template.id, "tier_key": tier.key if tier else None, "quantity": 1,
             "unit_price": price, "title": title}
    if template.membership:
        items["membership"] = True  # a paid membership (付费会员): the member's pages say so, not 权益卡
    return Quote(ORDER_KINDS[template.kind], price, items, f"{merchant.name[:40]} {title}"[:100])


def _check_card_on_sale(template):
    if template.disabled:
        raise Conflict("该卡已停止发放")
    if not template.listed:
        raise Conflict("该卡已下架")
    if template.stock_total is not None and template.stock_issued >= template.stock_total:
        raise Conflict("该卡已售罄")


def _check_benefit_once(session, merchant, member, template, now):
    """A benefit card with no end can be held once: a running one or an unpaid order for it ends the sale."""
    if template.valid_days:
        return  # a card with an end is extended by a second purchase
    running = session.scalar(select(func.count(Card.id)).where(
        Card.merchant_id == merchant.id, Card.member_id == member.id, Card.template_id == template.id,
        Card.state == card_rules.ACTIVE, Card.ends_at.is_(None)))
    if running:
        raise Conflict("您已持有该权益卡，长期有效")
    if open_quantity(session, merchant.id, member.id, "benefit_card", template.id):
        raise Conflict("您有该权益卡的待支付订单，请先完成支付或等待订单关闭")


def _check_pack(session, merchant, member, template):
    """Refuse now rather than after payment: the gift pack's coupons are issued with the card and must be there."""
    for entry in template.gift_pack or ():
        coupon = session.get(CouponTemplate, entry["template_id"])
        if coupon is None or coupon.merchant_id != merchant.id or not coupon.active:
            raise Conflict("该权益卡礼包中的券已停止发放，暂不能购买")
        if coupon.stock_total is not None and coupon.stock_total - coupon.stock_issued < entry["count"]:
            raise Conflict("该权益卡礼包中的券已领完，暂不能购买")
        if coupon.per_member_limit is not None and \
                _held(session, coupon.id, member.id) + entry["count"] > coupon.per_member_limit:
            raise Conflict("该权益卡礼包中的券已超过您的领取上限，暂不能购买")


def _held(session, template_id, member_id):
    return session.scalar(select(func.count(CouponCode.id)).where(
        CouponCode.template_id == template_id, CouponCode.member_id == member_id)) or 0


def _coupon_quote(session, merchant, member, template, quantity, now):
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_COUPONS:
        raise DomainError(f"购买数量须在 1 到 {MAX_COUPONS} 张之间")
    if not template.price or template.free_claim:
        raise DomainError("该券不在线销售")
    if not template.active:
        raise Conflict("该券已停止发放")
    if template.validity_mode == "fixed" and template.valid_until and \
            template.valid_until < local_today(merchant.timezone, now):
        raise Conflict("该券已过期")
    if template.stock_total is not None and template.stock_issued + quantity > template.stock_total:
        raise Conflict("该券库存不足" if template.stock_issued < template.stock_total else "该券已售罄")
    _check_coupon_limit(session, merchant, member, template, quantity)
    items = {"template_id": template.id, "tier_key": None, "quantity": quantity, "unit_price": template.price,
             "title": template.title}
    return Quote("coupon", template.price * quantity, items,
                 f"{merchant.name[:40]} {template.title} × {quantity}"[:100])


def _check_coupon_limit(session, merchant, member, template, quantity):
    limit = template.per_member_limit
    if limit is None:
        return
    held = _held(session, template.id, member.id)
    pending = open_quantity(session, merchant.id, member.id, "coupon", template.id)
    if held + pending + quantity > limit:
        left = max(0, limit - held - pending)
        raise Conflict(f"每人限购 {limit} 张，您还可购买 {left} 张" + ("（含待支付订单）" if pending else ""))


def open_quantity(session, merchant_id, member_id, kind, template_id):
    """Units of this template in the member's orders still waiting for payment."""
    rows = session.scalars(scoped(Order, merchant_id).where(
        Order.member_id == member_id, Order.kind == kind, Order.state == order_rules.CREATED)).all()
    return sum(int(o.items.get("quantity", 1)) for o in rows if (o.items or {}).get("template_id") == template_id)


# --- orders -----------------------------------------------------------------------------------------------

def create_order(session, merchant, member_id, *, template_id, product="card", tier_key=None, quantity=1, channel,
                 key, now=None):
    """An unpaid order at the template's price, its units reserved; the same key returns the same order."""
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id, lock=True)  # serialises this member's limits
    existing = idempotency.find_existing(session, Order, merchant.id, key)
    if existing is not None:
        return _same_sale(existing, member.id, template_id, product)
    priced = quote(session, merchant, member, template_id=template_id, product=product, tier_key=tier_key,
                   quantity=quantity, now=now)
    stock_reservations.reserve(session, _model(priced.kind), priced.items["template_id"], priced.items["quantity"])
    return orders.create(session, merchant, member.id, kind=priced.kind, channel=channel, amount=priced.amount,
                         description=priced.description, items=priced.items, key=key, now=now)


def _same_sale(existing, member_id, template_id, product):
    """A key sent again returns its order; the same key for another template or member is a mismatch."""
    kinds = ("coupon",) if product == "coupon" else tuple(ORDER_KINDS.values())
    if existing.kind not in kinds or (existing.items or {}).get("template_id") != template_id:
        raise IdempotencyMismatch("该幂等键已用于另一笔不同的操作", key=existing.idempotency_key, field="template_id")
    return idempotency.ensure_same_request(existing, member_id=member_id)


def _model(kind):
    return CouponTemplate if kind == "coupon" else CardTemplate


def release(session, order):
    """Give back what the order reserved; called once, by the call that closed it unpaid."""
    items = order.items or {}
    stock_reservations.release(session, _model(order.kind), order.merchant_id, items.get("template_id"),
                               int(items.get("quantity", 1)))


# --- the shop ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    template: object
    price: int  # fen; the lowest tier for a timed card ("起")
    from_price: bool
    sold_out: bool


def _listed_cards(merchant_id):
    # Paid membership plans are sold on their own page (member_h5/views_membership.py), never as cards.
    return scoped(CardTemplate, merchant_id).where(
        CardTemplate.kind.in_(tuple(ORDER_KINDS)), CardTemplate.disabled.is_(False), CardTemplate.listed.is_(True),
        CardTemplate.membership.is_(False))


def sells_cards(session, merchant_id):
    """Whether the merchant lists count, timed or benefit cards in the member shop (its third tab is then 商城)."""
    return session.scalar(select(_listed_cards(merchant_id).exists()))


def card_offers(session, merchant_id):
    """{card kind: [Offer]} of count, timed and benefit cards on sale for money, newest first."""
    rows = session.scalars(_listed_cards(merchant_id).order_by(CardTemplate.id.desc())).all()
    sections = {kind: [] for kind in ORDER_KINDS}
    for template in rows:
        prices = [t["price"] for t in template.tiers or () if t.get("price")] if template.kind == card_rules.TIMED \
            else [template.price] if template.price else []
        if prices:
            sold = template.stock_total is not None and template.stock_issued >= template.stock_total
            sections[template.kind].append(Offer(template, min(prices), len(prices) > 1, sold))
    return sections


def coupon_offers(session, merchant_id):
    """[Offer] of active coupons sold for money (not free to claim)."""
    rows = session.scalars(scoped(CouponTemplate, merchant_id).where(
        CouponTemplate.active.is_(True), CouponTemplate.free_claim.is_(False), CouponTemplate.price > 0)
        .order_by(CouponTemplate.id.desc())).all()
    return [Offer(t, t.price, False, t.stock_total is not None and t.stock_issued >= t.stock_total) for t in rows]
