"""Orders: created with a server-side price, paid once (conditional update), fulfilled once, closed when unpaid.

Paying, fulfilling and closing an order are services/orders/settlement.py; this module creates and finds them.
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain import orders as rules
from domain import stored_value as prepaid_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound
from models import Member, Order, StoredValueSettings
from services.shared import idempotency
from services.shared.tenancy import get_owned, scoped
from services.shared.text import required_text

class RealNameRequired(DomainError):
    """A purchase at or above the merchant's threshold needs the buyer's real name on the member profile."""

    code = "real_name_required"


class PaymentMismatch(Conflict):
    """A verified notification disagrees with the order (amount, currency, app id, merchant number)."""

    code = "payment_mismatch"


def create(session, merchant, member_id, *, kind, channel, amount, description, items, key, store_id=None,
           staff_id=None, out_trade_no=None, now=None):
    """A new unpaid order. `amount` and `items` come from the server's pricing, never from the browser.

    An order taken at a store's counter (门店充值) names the staff member who took it; only such an order may be
    paid by hand (cash, bank card), and one paid by payment code brings the trade number it was charged under."""
    if kind not in rules.KINDS:
        raise DomainError("未知的订单类型")
    if channel not in (rules.ORDER_CHANNELS if staff_id is not None else rules.CHANNELS):
        raise DomainError("未知的支付方式")
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError("订单金额须大于 0")
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id)
    existing = idempotency.find_existing(session, Order, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, member_id=member.id, kind=kind, amount=amount)
    check_real_name(session, merchant.id, member, amount)
    order = Order(merchant_id=merchant.id, member_id=member.id, store_id=store_id, staff_id=staff_id, kind=kind,
                  state=rules.CREATED, channel=channel, out_trade_no=out_trade_no or rules.new_out_trade_no(),
                  amount=amount, currency=rules.CURRENCY,
                  description=required_text(description, "订单描述", 100), items=items, idempotency_key=key,
                  expires_at=now + rules.UNPAID_TIMEOUT, created_at=now)
    try:
        with session.begin_nested():  # a double tap racing on the same key: the loser gets the winner's order
            session.add(order)
    except IntegrityError:
        existing = idempotency.find_existing(session, Order, merchant.id, key)
        if existing is None:
            raise
        return idempotency.ensure_same_request(existing, member_id=member.id, kind=kind, amount=amount)
    return order


def real_name_threshold(session, merchant_id):
    """Fen at or above which a purchase needs the buyer's real name (prepaid-card rules); the default when unset."""
    threshold = session.scalar(select(StoredValueSettings.real_name_threshold)
                               .where(StoredValueSettings.merchant_id == merchant_id))
    return threshold or prepaid_rules.DEFAULTS["real_name_threshold"]


def check_real_name(session, merchant_id, member, amount):
    threshold = real_name_threshold(session, merchant_id)
    if amount >= threshold and not (member.name or "").strip():
        raise RealNameRequired(f"单笔购买满 {prepaid_rules.short_yuan(threshold)} 元须实名，请先在个人资料中填写真实姓名",
                               field="real_name", threshold=threshold)


def by_out_trade_no(session, out_trade_no, merchant_id=None):
    query = select(Order).where(Order.out_trade_no == (out_trade_no or "")[:32])
    if merchant_id is not None:
        query = query.where(Order.merchant_id == merchant_id)
    return session.scalars(query).one_or_none()


def member_order(session, merchant_id, member_id, order_id):
    order = session.scalars(scoped(Order, merchant_id).where(Order.id == order_id, Order.member_id == member_id)
                            ).one_or_none()
    if order is None:
        raise NotFound("订单不存在")
    return order


def overdue(session, now=None, limit=200, grace=timedelta(minutes=5)):
    """Unpaid orders past their time (plus a grace for a late notification), oldest first, for the query job."""
    now = now or now_utc()
    return session.scalars(select(Order).where(Order.state == rules.CREATED, Order.expires_at < now - grace)
                           .order_by(Order.expires_at).limit(limit)).all()
