"""Card stock jobs on the 'bulk' queue: a large batch of physical member cards made chunk by chunk, each chunk
committed with the batch's counter, so a restart resumes where it stopped."""
from jobs.base import job
from services.card_stock import batches


@job(queue="bulk", timeout=3600)
def make_batch(session, batch_id):
    """Make the batch to the end. On a crash the failure is committed and the job raised again for RQ to retry."""
    try:
        while batches.make_chunk(session, batch_id):
            session.commit()
    except Exception as exc:
        session.rollback()
        batches.mark_failed(session, batch_id, exc)
        session.commit()
        raise
    return batch_id
