"""Stored value jobs: pay the monthly instalments of top-up bonuses that have fallen due."""
import logging

from jobs.base import job
from models import Order
from services.wallet import stored_value

log = logging.getLogger(__name__)


@job(queue="scheduled")
def pay_topup_instalments(session, now=None):
    """Periodic: each top-up's due instalments in its own transaction, so one failure leaves the others paid
    and is tried again next period (the keys make a rerun pay nothing twice)."""
    paid, failed = 0, []
    for order_id in stored_value.instalment_orders(session, now=now):
        try:
            paid += stored_value.pay_due_instalments(session, session.get(Order, order_id), now=now)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not pay the instalments of order %s", order_id)
            failed.append(order_id)
    log.info("top-up instalments paid: %s, failed orders: %s", paid, failed)
    return {"paid": paid, "failed": failed}
