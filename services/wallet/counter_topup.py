"""门店充值: a staff member takes a member's top-up at the store's counter, in cash (现金), by bank card (银行卡) or
by the customer's WeChat Pay / Alipay payment code (付款码), under exactly the rules members get online.

The price is services/wallet/stored_value.quote (the tiers in force, their bonus, coupons, points, growth and
instalments, the custom range, the frozen wallet and the balance cap); the order is an ordinary order of kind
'topup' with the store and the staff member on it, so services/orders/settlement fulfils it as any top-up
(balance, gifts, instalments, the level it reaches) and services/recruitment credits the top-up to the staff
member and store. The staff page's key (minted with the form) is the order's idempotency key: a double submit,
even two at once, takes one top-up (the member's row is locked first, so the second waits and finds the first).

- Cash and bank card: the staff member's word that the money is in the till; the order is paid at once
  (settlement.record_counter_payment). A refund is handed back by hand (services/orders/refunds.py).
- Payment code: charged through the till's own channel calls (services/till/channels.py) under a trade number
  derived from the key, so every retry names the same trade; only a paid trade becomes an order, and one that
  cannot be recorded is reversed, the staff member told so. Its refund goes back through the channel.
"""
from dataclasses import dataclass

from sqlalchemy import select

from domain import orders as order_rules
from domain import stored_value as rules
from domain.clock import local_midnight_utc, local_today, now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import CouponTemplate, Order, OrderRefund, Staff, Store, WalletTransaction
from services.members import members as member_service
from services.orders import orders, settlement
from services.points import ledger as points
from services.shared import idempotency
from services.shared.tenancy import get_owned
from services.till import channels as till_channels
from services.verification.records import actor_store
from services.wallet import journal as wallet, stored_value

BY_HAND = order_rules.COUNTER_CHANNELS
BY_CODE = till_channels.CHANNEL_TENDERS
TENDERS = BY_HAND + BY_CODE
TENDER_LABELS = {**order_rules.COUNTER_CHANNEL_LABELS, "wechat": "微信付款码", "alipay": "支付宝付款码"}


@dataclass(frozen=True)
class Offer:
    """What the staff page offers a member: the tiers in force with their one-line previews, the custom range."""

    enabled: bool
    tiers: list
    previews: dict
    allow_custom: bool
    custom_min: int
    custom_max: int
    balance: int
    frozen: bool


@dataclass(frozen=True)
class Step:
    order: Order | None  # paid and fulfilled, or None while the payer is still entering a password
    waiting: bool


def offer(session, merchant, member, now=None):
    settings = stored_value.settings_of(session, merchant.id)
    tiers = stored_value.rules_in_force(session, merchant, now) if settings.enabled else []
    purse = wallet.member_wallet(session, merchant.id, member.id)
    return Offer(settings.enabled, tiers, stored_value.previews(session, merchant.id, tiers),
                 settings.allow_custom_amount, settings.custom_min, settings.custom_max,
                 purse.principal + purse.bonus, purse.frozen)


def price(session, merchant, member, *, rule_id=None, custom_amount=None, now=None):
    """(amount, items) as online: stored_value.quote, refusing what it refuses."""
    return stored_value.quote(session, merchant, member, rule_id=rule_id, custom_amount=custom_amount, now=now)


def _begin(session, merchant, actor, store_id, member_id, key):
    """Authorise, check the store and the key, lock the member (serialising a double submit): (store, member)."""
    if not actor.can("wallet.counter_topup"):
        raise PermissionDenied("您没有门店充值的权限")
    idempotency.check_key(key)
    store = actor_store(session, actor, store_id)
    member = points.lock_member(session, merchant.id, member_id)
    return store, member


def _earlier(session, merchant, member, key, tender):
    earlier = idempotency.find_existing(session, Order, merchant.id, key)
    if earlier is not None:
        idempotency.ensure_same_request(earlier, member_id=member.id, kind="topup", channel=tender)
    return earlier


def _create(session, merchant, actor, store, member, *, tender, key, amount, items, out_trade_no=None, now=None):
    """The counter's order; `_named` has already made sure a top-up at the real-name amount has the name."""
    description = f"{store.name[:40]} 门店充值 {rules.short_yuan(amount)} 元"
    return orders.create(session, merchant, member.id, kind="topup", channel=tender, amount=amount,
                         description=description, items={**items, "counter": True}, key=key,
                         store_id=store.id, staff_id=actor.id, out_trade_no=out_trade_no, now=now)


def needs_real_name(session, merchant, member, amount):
    """This top-up reaches the prepaid real-name amount and the member has no name yet: the page asks for it."""
    return _real_name_threshold_reached(session, merchant, member, amount) is not None


def _real_name_threshold_reached(session, merchant, member, amount):
    """The real-name amount in fen when this top-up reaches it and the member has no name, else None."""
    threshold = orders.real_name_threshold(session, merchant.id)
    return threshold if amount >= threshold and not (member.name or "").strip() else None


def _named(session, merchant, actor, member, amount, real_name):
    """Register the real name the staff member typed when the top-up needs one; refuse before any money moves
    when it needs one and none was given."""
    threshold = _real_name_threshold_reached(session, merchant, member, amount)
    if threshold is None:
        return
    if not (real_name or "").strip():
        raise orders.RealNameRequired(f"单笔充值满 {rules.short_yuan(threshold)} 元须实名：请填写会员的真实姓名",
                                      field="real_name", threshold=threshold)
    member_service.register_real_name(session, actor, member, real_name)


def take_by_hand(session, merchant, actor, *, store_id, member_id, tender, key, rule_id=None, custom_amount=None,
                 real_name=None, now=None):
    """Cash or bank card: the order, paid and fulfilled now. The same key returns the first top-up unchanged.
    `real_name`: the member's real name, registered when the amount needs one and they have none."""
    if tender not in BY_HAND:
        raise DomainError("请选择收款方式", field="tender")
    store, member = _begin(session, merchant, actor, store_id, member_id, key)
    earlier = _earlier(session, merchant, member, key, tender)
    if earlier is not None:
        return earlier
    amount, items = price(session, merchant, member, rule_id=rule_id, custom_amount=custom_amount, now=now)
    _named(session, merchant, actor, member, amount, real_name)
    order = _create(session, merchant, actor, store, member, tender=tender, key=key, amount=amount, items=items,
                    now=now)
    settlement.record_counter_payment(session, merchant, order, amount=order.amount, now=now)
    return order


def take_by_code(session, merchant, actor, *, store_id, member_id, tender, key, auth_code, rule_id=None,
                 custom_amount=None, real_name=None, give_up=False, client_ip="127.0.0.1", now=None):
    """One step of charging the customer's payment code: Step(order, waiting). See the module docstring."""
    if tender not in BY_CODE:
        raise DomainError("付款码收款只支持微信支付和支付宝", field="tender")
    store, member = _begin(session, merchant, actor, store_id, member_id, key)
    earlier = _earlier(session, merchant, member, key, tender)
    if earlier is not None:
        return Step(earlier, False)
    code = till_channels.check_code(tender, auth_code)
    amount, items = price(session, merchant, member, rule_id=rule_id, custom_amount=custom_amount, now=now)
    _named(session, merchant, actor, member, amount, real_name)  # before the customer is charged
    channel, out_trade_no = till_channels.CHANNELS[tender], till_channels.trade_number(merchant.id, f"topup:{key}")
    told = channel.query(merchant, out_trade_no)
    if told.state == "absent":
        told = channel.charge(merchant, out_trade_no=out_trade_no, amount=amount, auth_code=code,
                              subject=f"{merchant.name} 储值充值"[:120], client_ip=client_ip)
    if told.state in ("waiting", "unknown"):
        if not give_up:
            return Step(None, True)
        told = channel.query(merchant, out_trade_no)  # a last look: the password may have come just now
        if told.state != "paid":
            raise till_channels.ChannelRefused(till_channels.undone(channel, merchant, out_trade_no, tender,
                                                                    "顾客未在规定时间内完成支付"))
    if told.state != "paid":
        raise till_channels.ChannelRefused(told.message or "收款失败，请重新扫码")
    try:
        with session.begin_nested():
            order = _create(session, merchant, actor, store, member, tender=tender, key=key, amount=amount,
                            items=items, out_trade_no=out_trade_no, now=now)
            if told.amount != order.amount:
                raise Conflict(f"实收金额 ¥{rules.short_yuan(told.amount or 0)} 与充值金额不一致")
            settlement.record_counter_payment(session, merchant, order, amount=told.amount,
                                              channel_trade_no=told.trade_no, now=now)
    except DomainError as exc:
        raise till_channels.ChannelRefused(till_channels.undone(channel, merchant, out_trade_no, tender,
                                                                f"收款后入账失败（{exc.message}）")) from None
    return Step(order, False)


# --- reading ------------------------------------------------------------------------------------------------

def is_counter(order):
    return order.kind == "topup" and bool((order.items or {}).get("counter"))


def counter_order(session, actor, order_id):
    """A counter top-up of the actor's merchant taken in a store they may act in; NotFound otherwise."""
    order = get_owned(session, Order, actor.merchant_id, order_id)
    if not is_counter(order) or not actor.can_act_in(order.store_id):
        raise NotFound("记录不存在")
    return order


def today_in_store(session, merchant, store_id, now=None):
    """The store's counter top-ups since the merchant's local midnight, newest first."""
    since = local_midnight_utc(local_today(merchant.timezone, now or now_utc()), merchant.timezone)
    rows = session.scalars(select(Order).where(Order.merchant_id == merchant.id, Order.store_id == store_id,
                                               Order.kind == "topup", Order.staff_id.is_not(None),
                                               Order.paid_at >= since)
                           .order_by(Order.paid_at.desc(), Order.id.desc())).all()
    return [order for order in rows if is_counter(order)]


def by_key(session, merchant_id, key):
    """The counter top-up already taken under this key (a double tap lands on its receipt), or None."""
    earlier = idempotency.find_existing(session, Order, merchant_id, key or "")
    return earlier if earlier is not None and is_counter(earlier) else None


def coupon_titles(session, merchant_id, items):
    """{template id: title} of the coupons a priced top-up gives."""
    wanted = {entry["template_id"] for entry in items.get("coupons", ())}
    if not wanted:
        return {}
    return dict(session.execute(select(CouponTemplate.id, CouponTemplate.title).where(
        CouponTemplate.merchant_id == merchant_id, CouponTemplate.id.in_(list(wanted)))).all())


def receipt(session, order):
    """Everything the counter top-up's receipt prints, from what the order recorded (never a re-quote): the
    principal, bonus and gifts, the balance right after, the store, the staff member and the time."""
    items, done = order.items or {}, order.fulfilment or {}
    txn = session.get(WalletTransaction, done["wallet_transaction_id"]) if done.get("wallet_transaction_id") else None
    wanted = {entry["template_id"]: entry["count"] for entry in items.get("coupons", ())}
    titles = coupon_titles(session, order.merchant_id, items)
    missed = {entry["template_id"] for entry in done.get("coupons_not_granted", ())}
    plan = items.get("instalments") or {}
    refunds = session.scalars(select(OrderRefund).where(OrderRefund.merchant_id == order.merchant_id,
                                                        OrderRefund.order_id == order.id)
                              .order_by(OrderRefund.id)).all()
    store = session.get(Store, order.store_id) if order.store_id else None
    staff = session.get(Staff, order.staff_id) if order.staff_id else None
    return {
        "order": order, "member": order.member, "store": store.name if store else "",
        "staff": staff.name if staff else "",
        "paid_at": order.paid_at or order.created_at, "tender": order.channel,
        "tender_label": TENDER_LABELS.get(order.channel, order.channel),
        "principal": items.get("principal", order.amount), "bonus": items.get("bonus", 0),
        "points": items.get("points", 0), "growth": items.get("growth", 0),
        "coupons": [{"title": titles.get(template_id, "优惠券"), "count": count, "granted": template_id not in missed}
                    for template_id, count in wanted.items()],
        "instalments": {"total": plan.get("total", 0), "months": plan.get("months", 0)},
        "balance_after": txn.principal_after + txn.bonus_after if txn is not None else None,
        "refunds": refunds, "refunded_amount": order.refunded_amount,
    }
