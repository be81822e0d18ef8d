"""Paid membership jobs: memberships past their end expire and their members return to the identity the merchant
chose (过期后身份), fanned out one job per merchant, a chunk per commit (services/cards/membership_levels.py)."""
import logging

from domain.clock import now_utc
from jobs.base import job
from models import Merchant
from services.cards import membership_levels
from services.shared import job_queue

log = logging.getLogger(__name__)


@job(queue="scheduled")
def expire_paid_memberships_everywhere(session):
    """Periodic: one expiry job per merchant with a paid membership plan, each committing on its own."""
    for merchant_id in membership_levels.merchants_with_plans(session):
        job_queue.enqueue(session, expire_paid_memberships_for_merchant.job_name, merchant_id)


@job(queue="scheduled")
def expire_paid_memberships_for_merchant(session, merchant_id, now=None):
    """Chunk after chunk until nothing is due. A chunk's cards and level changes commit together: a worker stopped
    in the middle leaves the rest due, and a second run finds nothing to do."""
    if session.get(Merchant, merchant_id) is None:
        return 0
    now, expired = now or now_utc(), 0
    while True:
        batch = membership_levels.expire_due(session, merchant_id, now)
        expired += batch
        session.commit()
        if batch < membership_levels.BATCH:
            log.info("paid memberships expired for merchant %s: %s", merchant_id, expired)
            return expired
