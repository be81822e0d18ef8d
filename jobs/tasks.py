"""Every job, thin over a service. Importing this module registers them."""
import logging

from sqlalchemy import select

from jobs.core import job
from models import Merchant
from services.members import levels
from services.points import ledger as points

log = logging.getLogger(__name__)


@job(queue="scheduled")
def expire_points_everywhere(session):
    """Periodic: fan out one expiry job per merchant, so each commits on its own and can be retried alone."""
    from jobs.core import enqueue

    for merchant_id in session.scalars(select(Merchant.id).order_by(Merchant.id)).all():
        enqueue(expire_points_for_merchant, merchant_id)


@job(queue="scheduled")
def expire_points_for_merchant(session, merchant_id):
    """Expire due lots in batches; each lot's expiry has its own idempotency key, so a rerun is harmless."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return 0
    touched = 0
    while True:
        batch = points.expire_due(session, merchant, limit=200)
        touched += batch
        session.commit()
        if batch < 200:
            log.info("points expiry for merchant %s: %s members", merchant_id, touched)
            return touched


@job(queue="bulk")
def reevaluate_levels(session, merchant_id):
    """After the merchant edits level thresholds: move up every member who now qualifies."""
    return levels.reevaluate_members(session, merchant_id)


import jobs.notices  # noqa: E402,F401  (registers the notice jobs)
import jobs.wechat  # noqa: E402,F401  (registers the official-account jobs)
import jobs.coupons  # noqa: E402,F401  (registers the coupon jobs)
from jobs.payments import settle_overdue_orders  # noqa: E402,F401  (registers the payment jobs)
from jobs.stored_value import pay_topup_instalments  # noqa: E402,F401  (registers the stored value jobs)
import jobs.self_pay  # noqa: E402,F401  (registers the self-pay refund job)
