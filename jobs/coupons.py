"""Coupon jobs on the 'bulk' queue: a bulk issue, committed chunk by chunk so a restart resumes."""
from jobs.base import job
from services.coupons import bulk as coupon_bulk


@job(queue="bulk", timeout=3600)
def bulk_issue(session, bulk_id):
    """Run a bulk issue to the end. On a crash the failure is committed and the job raised again for RQ to retry."""
    try:
        while coupon_bulk.run_chunk(session, bulk_id):
            session.commit()
    except Exception as exc:
        session.rollback()
        coupon_bulk.mark_failed(session, bulk_id, exc)
        session.commit()
        raise
    return bulk_id
