"""An order's life after it is created: paid once, fulfilled once, or closed unpaid.

A payment channel's word, verified by services.orders.wechat_notifications / alipay_notifications (a
notification) or services.orders.channel_payments (the overdue-order query), ends in `record_payment`, which
checks the order, moves it created -> paid with a conditional UPDATE (so fifteen copies of one notification
pay it once), and fulfils it in the same transaction. Fulfilment is dispatched by kind to FULFILLERS and is
idempotent on its own too: every ledger change it makes carries a key derived from the order id. An order that
closes unpaid gives back what creating it reserved (RELEASERS), once: only the call that closed it releases.
"""
from sqlalchemy import update

from domain import orders as rules
from domain.clock import now_utc
from domain.errors import Conflict
from models import Order
from services.orders import card_sales, fulfilment, gift_card_sales, orders
from services.recruitment import payments as recruitment
from services.till import self_pay_orders

# kind -> fulfil(session, merchant, order, now) -> dict of what was issued
FULFILLERS = {
    "topup": fulfilment.topup,
    "gift_card": fulfilment.gift_cards_bought,
    "timed_card": fulfilment.card,
    "count_card": fulfilment.card,
    "benefit_card": fulfilment.benefit_card,
    "coupon": fulfilment.coupons_bought,
    "self_pay": self_pay_orders.fulfil,
}

# kind -> release(session, order): gives back what creating the order reserved (stock), when it closes unpaid.
# Kinds that reserve nothing are absent.
RELEASERS = {
    "gift_card": gift_card_sales.release,
    "timed_card": card_sales.release,
    "count_card": card_sales.release,
    "benefit_card": card_sales.release,
    "coupon": card_sales.release,
}


def record_payment(session, merchant, order, *, amount, currency, app_id, merchant_no, channel_trade_no, payer,
                   expected, now=None):
    """The channel says this order is paid. Returns True when this call paid it, False for a repeat.

    Raises PaymentMismatch (nothing changes) when the notification does not match the order.
    """
    now = now or now_utc()
    wrong = rules.mismatch(expected, amount, currency, app_id, merchant_no)
    if wrong is not None:
        raise orders.PaymentMismatch(f"支付通知与订单不符：{wrong}", field=wrong)
    paid = session.execute(
        update(Order).where(Order.id == order.id, Order.state == rules.CREATED)
        .values(state=rules.PAID, paid_at=now, channel_trade_no=channel_trade_no, payer=payer)
        .execution_options(synchronize_session=False)).rowcount
    session.expire(order)
    if paid != 1:
        if order.state == rules.CLOSED:
            # Closed only after the channel confirmed it unpaid; a payment now is for the channel to refund.
            raise Conflict("订单已关闭", state=order.state)
        return False
    fulfil(session, merchant, order, now)
    return True


def record_counter_payment(session, merchant, order, *, amount, channel_trade_no=None, now=None):
    """Money taken at a store's counter (门店充值): cash or a bank card by hand, or a payment code the till's channel
    charged and answered for. No notification will follow, so the staff member's word (or the charge's answer) is
    recorded as one: the same checks, paid once, fulfilled once. True when this call paid the order."""
    if order.staff_id is None or order.store_id is None:
        raise Conflict("只有门店收款的订单可以这样入账")
    expected = rules.Expected(amount=order.amount, currency=order.currency, app_id="", merchant_no="")
    return record_payment(session, merchant, order, amount=amount, currency=order.currency, app_id="",
                          merchant_no="", channel_trade_no=channel_trade_no, payer=None, expected=expected, now=now)


def fulfil(session, merchant, order, now=None):
    """Issue what was bought, once: the paid -> fulfilled move is conditional, the ledger keys are per order."""
    now = now or now_utc()
    issued = FULFILLERS[order.kind](session, merchant, order, now)
    recruitment.after_order_paid(session, merchant, order, now)
    done = session.execute(
        update(Order).where(Order.id == order.id, Order.state == rules.PAID)
        .values(state=rules.FULFILLED, fulfilled_at=now, fulfilment=issued or {})
        .execution_options(synchronize_session=False)).rowcount
    session.expire(order)
    if done != 1:
        raise Conflict("订单已处理", state=order.state)
    return order


def close_if_unpaid(session, order, now=None):
    """created -> closed; False when it was paid (or closed) meanwhile."""
    now = now or now_utc()
    closed = session.execute(
        update(Order).where(Order.id == order.id, Order.state == rules.CREATED)
        .values(state=rules.CLOSED, closed_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(order)
    if closed == 1 and order.kind in RELEASERS:
        RELEASERS[order.kind](session, order)  # only the call that closed it releases, so once
    return closed == 1
