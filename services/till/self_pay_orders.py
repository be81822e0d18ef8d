"""Self-pay with WeChat Pay or Alipay: an order of kind "self_pay" keeps the store, amount, the offer picked and the
随机立减 seed; its payment notification records the checkout in the same transaction (`fulfil`, services/orders/settlement.py
FULFILLERS), re-priced under the member's lock. When the price no longer matches what was paid (a coupon used
meanwhile, the store closed) nothing is recorded and the order is refunded in full after the notification's
commit (jobs/self_pay.py), through services/orders/refunds.py.
"""
from dataclasses import dataclass

from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from domain.money import format_yuan
from domain.pricing import Choice
from models import Order
from services.orders import orders
from services.shared import idempotency, job_queue
from services.till import checkout, self_pay
from services.orders import refunds
from models import Merchant
from services.points import ledger as points

REFUND_JOB = "jobs.self_pay.refund_unrecorded_order"  # jobs/self_pay.py

ORDER_KIND = "self_pay"
REFUND_REASON = "自助买单价格已变化，全额退款"


@dataclass(frozen=True)
class SystemRefunder:
    """Refunds a self-pay order nobody asked for but the price change: allowed by the rule, recorded as no staff."""

    merchant: object
    id = None

    @property
    def merchant_id(self):
        return self.merchant.id

    def can(self, permission):
        return permission == "orders.refund"


def create_order(session, merchant, member, *, store_id, amount, choice, expected, channel, key, now=None):
    """An unpaid self-pay order for what the member saw; the checkout is recorded when it is paid."""
    now = now or now_utc()
    earlier = idempotency.find_existing(session, Order, merchant.id, key)
    if earlier is not None and earlier.member_id == member.id and earlier.kind == ORDER_KIND:
        return earlier  # a second tap: its order (paid or not) rather than a quote that moved with the payment
    store = self_pay.open_store(session, merchant, store_id)
    seed = checkout.order_seed(merchant, store.id, member, amount, now)
    answer = self_pay.quote(session, merchant, member, store_id=store.id, amount=amount, tender=channel,
                            choice=choice, seed=seed, now=now)
    self_pay.check_price(answer, expected)
    if answer.quote.pay <= 0:
        raise DomainError("应付金额为 0，请直接确认买单")
    items = {"store_id": store.id, "amount": amount, "choice": answer.quote.choice.encode(),
             "seed": seed, "pay": answer.quote.pay}
    return orders.create(session, merchant, member.id, kind=ORDER_KIND, channel=channel, amount=answer.quote.pay,
                         description=f"{store.name} 自助买单"[:100], items=items, key=key, store_id=store.id, now=now)


def fulfil(session, merchant, order, now):
    """services.orders.orders FULFILLERS["self_pay"]: the checkout, re-priced as quoted, in the notification's
    transaction; when it cannot be (price moved, refusal) nothing is recorded and a full refund is queued."""
    items = order.items or {}
    member = checkout_member(session, merchant, order)
    try:
        with session.begin_nested():
            made = checkout.pay(session, merchant, self_pay.actor_for(member), store_id=items["store_id"],
                                member_id=member.id, amount=items["amount"], tender=order.channel,
                                choice=Choice.decode(items["choice"]), seed=items["seed"],
                                key=f"self_pay:{order.id}", note="自助买单", now=now)
            if made.pay != order.amount:
                raise self_pay.PriceChanged(f"应付金额已变为 ¥{format_yuan(made.pay)}")
            # the channel's trade is the checkout's: refunding it in 收银记录 sends the money back the same way
            made.out_trade_no, made.channel_trade_no = order.out_trade_no, order.channel_trade_no
            session.flush()
    except DomainError as exc:
        _queue_refund(session, order)
        return {"refund_reason": exc.message[:200]}
    return {"checkout_id": made.id}


def checkout_member(session, merchant, order):
    return points.lock_member(session, merchant.id, order.member_id)  # the payment's lock order: member first


def _queue_refund(session, order):
    # after the commit: the channel is asked outside this transaction
    job_queue.enqueue(session, REFUND_JOB, order.id)


def refund_unrecorded(session, order_id):
    """Give back in full a self-pay order whose checkout could not be recorded (its fulfilment says why)."""
    order = session.get(Order, order_id)
    if order is None or order.kind != ORDER_KIND or "refund_reason" not in (order.fulfilment or {}):
        raise NotFound("订单不存在")
    left = order.amount - order.refunded_amount
    if left <= 0:
        return None
    merchant = session.get(Merchant, order.merchant_id)
    return refunds.refund_order(session, SystemRefunder(merchant), order.id, left, reason=REFUND_REASON,
                                key=f"self_pay:refund:{order.id}")

