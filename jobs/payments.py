"""Payment jobs: settle the orders still unpaid past their time by asking their channel (a lost notification
loses no money). Each channel module provides `query_and_settle(session, merchant, order) -> outcome`."""
import logging

from jobs.core import job
from models import Merchant, Order
from payments.checkout import channel_module
from services import orders

log = logging.getLogger(__name__)


def query_and_settle(session, order):
    """Dispatch one order to its channel's query; the channel records a payment or closes the order."""
    merchant = session.get(Merchant, order.merchant_id)
    return channel_module(order.channel).query_and_settle(session, merchant, order)


@job(queue="scheduled")
def settle_overdue_orders(session, now=None):
    """Periodic: every overdue unpaid order, each in its own transaction so one channel failure (network, a
    channel answer that fails its signature) leaves the others settled and is tried again next period."""
    outcomes = {}
    for order_id in [order.id for order in orders.overdue(session, now=now)]:
        order = session.get(Order, order_id)
        try:
            outcome = query_and_settle(session, order)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not settle overdue order %s", order_id)
            outcome = "failed"
        outcomes[order_id] = outcome
    log.info("overdue orders settled: %s", outcomes)
    return outcomes
