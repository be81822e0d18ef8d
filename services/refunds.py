"""Refunds of top-up orders (owner/admin): the channel gives the money back, the wallet gives back the principal,
and the bonus the top-up gave is taken back in proportion — never leaving the wallet negative.

What has been spent cannot be refunded: when the wallet's principal is below the amount asked, the refusal says
how much is left to refund. Bonus already spent cannot be taken back: that part is recorded as unrecoverable
and said. Gift cards and other cards are not refunded here (gift cards are not refundable once sold; benefit
cards have their own refund records).

One refund is one transaction: the order row is locked, the journal changes, the channel is asked last, and any
refusal from the channel rolls everything back. The channel treats a repeated out_refund_no as the same
refund, so a retry after a lost answer never pays twice.
"""
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from domain import orders as order_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.money import format_yuan
from models import Order, OrderRefund
from services import audit, idempotency, wallet
from services.tenancy import get_owned
from services.text import required_text

REFUNDABLE_STATES = (order_rules.PAID, order_rules.FULFILLED)


@dataclass(frozen=True)
class Plan:
    amount: int  # principal back to the payer
    bonus_wanted: int  # the bonus share of this amount
    bonus_back: int  # what the wallet still holds of it
    bonus_unrecoverable: int


def refundable_left(order):
    return order.amount - order.refunded_amount


def plan(session, order, amount):
    """What refunding `amount` of a top-up does to the member's wallet; refuses what cannot be done."""
    if order.kind != "topup":
        raise DomainError("只有储值充值订单可以在这里退款（礼品卡售出后不可退）")
    if order.state not in REFUNDABLE_STATES:
        raise Conflict(f"订单当前为「{order_rules.STATE_LABELS.get(order.state, order.state)}」，不能退款")
    left = refundable_left(order)
    if not isinstance(amount, int) or not 0 < amount <= left:
        raise DomainError(f"退款金额须在 ¥0.01 到 ¥{format_yuan(left)} 之间")
    purse = wallet.member_wallet(session, order.merchant_id, order.member_id)
    if purse.frozen:
        raise Conflict("储值账户已冻结，请先解冻再退款")
    if purse.principal < amount:
        raise Conflict(f"储值本金仅剩 ¥{format_yuan(purse.principal)}，其余已消费，最多可退 ¥{format_yuan(purse.principal)}")
    wanted = _bonus_share(session, order, amount)
    back = min(wanted, purse.bonus)
    return Plan(amount, wanted, back, wanted - back)


def _bonus_share(session, order, amount):
    """The top-up's bonus in proportion to `amount`; the last refund takes whatever share is left."""
    bonus, principal = order.items.get("bonus", 0), order.items["principal"]
    taken = session.scalar(select(func.coalesce(func.sum(OrderRefund.bonus_back + OrderRefund.bonus_unrecoverable), 0))
                           .where(OrderRefund.order_id == order.id))
    if amount == refundable_left(order):
        return bonus - int(taken)
    return bonus * amount // principal


def refund_topup(session, actor, order_id, amount, *, reason, key, ip=None, now=None):
    """Refund `amount` fen of a paid top-up. Returns the OrderRefund (the first one again for a repeated key)."""
    if not actor.can("orders.refund"):
        raise PermissionDenied("只有店主和管理员可以退款")
    idempotency.check_key(key)
    reason = required_text(reason, "退款原因", 200)
    now = now or now_utc()
    order = get_owned(session, Order, actor.merchant_id, order_id, lock=True)
    earlier = idempotency.find_existing(session, OrderRefund, actor.merchant_id, key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, order_id=order.id, amount=amount)
    steps = plan(session, order, amount)
    record = OrderRefund(merchant_id=order.merchant_id, order_id=order.id, amount=amount, bonus_back=steps.bonus_back,
                         bonus_unrecoverable=steps.bonus_unrecoverable, reason=reason,
                         out_refund_no=_out_refund_no(order.merchant_id, key), state="processing", staff_id=actor.id,
                         idempotency_key=key, created_at=now)
    session.add(record)
    session.flush()
    purse = wallet.member_wallet(session, order.merchant_id, order.member_id)
    txn = wallet.withdraw(session, order.merchant_id, purse.id, amount, steps.bonus_back, key=f"{key}:wallet",
                          reference=("order_refund", record.id), operator=actor, note=f"充值退款：{reason}")
    record.wallet_transaction_id = txn.id
    _count_refunded(session, order, amount)
    _ask_channel(order, record, actor)
    audit.record(session, actor, "order.refund", "order", order.id,
                 after={"amount": amount, "bonus_back": steps.bonus_back,
                        "bonus_unrecoverable": steps.bonus_unrecoverable, "reason": reason}, ip=ip)
    session.flush()
    return record


def _out_refund_no(merchant_id, key):
    """Derived from the request key: when the channel's answer is lost (the refund may have happened), sending
    the same form again asks the channel about the same refund, which it answers without paying twice."""
    return "RF" + hashlib.sha256(f"{merchant_id}:{key}".encode()).hexdigest()[:30]


def _count_refunded(session, order, amount):
    """refunded_amount grows only within the order's amount; a whole refund ends the order (no more instalments)."""
    done = session.execute(
        update(Order).where(Order.id == order.id, Order.refunded_amount + amount <= Order.amount)
        .values(refunded_amount=Order.refunded_amount + amount,
                state=case((Order.refunded_amount + amount == Order.amount, order_rules.REFUNDED), else_=Order.state))
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("退款金额超过订单可退金额")
    session.expire(order)


def _ask_channel(order, record, actor):
    from payments import checkout

    answer = checkout.channel_module(order.channel).refund(actor.merchant, order, record.amount, record.out_refund_no,
                                                           record.reason)
    record.channel_refund_id = answer.get("refund_id")
    record.state = "succeeded" if answer.get("status") == "succeeded" else "processing"


def refunds_of(session, merchant_id, order_id):
    return session.scalars(select(OrderRefund).where(OrderRefund.merchant_id == merchant_id,
                                                     OrderRefund.order_id == order_id).order_by(OrderRefund.id)).all()
