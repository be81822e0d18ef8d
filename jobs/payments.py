"""Payment jobs: settle the orders still unpaid past their time, and the refunds still processing, by asking
their channel (a lost notification loses no money): services.orders.channel_payments.settle_by_query,
services.orders.refund_results.ask_and_settle and services.till.channel_refunds.settle_by_id; and forget the
counters of refused notifications once they are old."""
import logging

from jobs.base import each_in_own_transaction, job
from models import Order
from services.orders import channel_payments, notification_rejects, orders, refund_results
from services.till import channel_refunds as till_channel_refunds

log = logging.getLogger(__name__)


@job(queue="scheduled")
def settle_overdue_orders(session, now=None):
    """Periodic: every overdue unpaid order, each in its own transaction so one channel failure (network, a
    channel answer that fails its signature) leaves the others settled and is tried again next period."""
    overdue = [order.id for order in orders.overdue(session, now=now)]
    outcomes = each_in_own_transaction(session, overdue, lambda order_id: channel_payments.settle_by_query(
        session, session.get(Order, order_id)), "settle overdue order")
    log.info("overdue orders settled: %s", outcomes)
    return outcomes


@job(queue="scheduled")
def settle_processing_refunds(session, now=None):
    """Periodic: every refund still processing some minutes after it was asked (its notification lost or not
    sent), asked of its channel and settled, each in its own transaction; one that fails is asked next time."""
    outcomes = each_in_own_transaction(session, refund_results.still_processing(session, now=now),
                                       lambda refund_id: refund_results.ask_and_settle(session, refund_id, now=now),
                                       "settle processing refund")
    log.info("processing refunds settled: %s", outcomes)
    return outcomes


@job(queue="scheduled")
def settle_processing_till_refunds(session, now=None):
    """Periodic: refunds of till payments by payment code still processing at WeChat (services/
    till/channel_refunds.py), each asked and settled in its own transaction."""
    outcomes = each_in_own_transaction(session, till_channel_refunds.still_processing(session, now=now),
                                       lambda refund_id: till_channel_refunds.settle_by_id(session, refund_id),
                                       "settle processing till refund")
    log.info("processing till refunds settled: %s", outcomes)
    return outcomes


@job(queue="scheduled")
def forget_old_rejected_notifications(session, now=None):
    """Daily: refused-notification counters older than notification_rejects.KEEP_DAYS are deleted."""
    deleted = notification_rejects.forget_old(session, now=now)
    log.info("old refused-notification counters deleted: %s", deleted)
    return deleted
