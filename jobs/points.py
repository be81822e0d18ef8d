"""Points jobs: expire due lots and unclaimed points-mall gifts, fanned out one job per merchant."""
import logging

from sqlalchemy import select

from jobs.base import job
from models import Merchant
from services.points import ledger as points
from services.points_mall import exchanges as gift_exchanges
from services.shared import job_queue

log = logging.getLogger(__name__)
BATCH = 200


@job(queue="scheduled")
def expire_points_everywhere(session):
    """Periodic: fan out one expiry job per merchant, so each commits on its own and can be retried alone."""
    for merchant_id in session.scalars(select(Merchant.id).order_by(Merchant.id)).all():
        job_queue.enqueue(session, expire_points_for_merchant.job_name, merchant_id)


@job(queue="scheduled")
def expire_points_for_merchant(session, merchant_id):
    """Expire due lots in batches; each lot's expiry has its own idempotency key, so a rerun is harmless."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return 0
    touched = 0
    while True:
        batch = points.expire_due(session, merchant, limit=BATCH)
        touched += batch
        session.commit()
        if batch < BATCH:
            touched += gift_exchanges.expire_due(session, merchant)  # unclaimed mall gifts give their points back
            session.commit()
            log.info("points expiry for merchant %s: %s members", merchant_id, touched)
            return touched
