"""What every job module uses: the `job` decorator and registry, `enqueue` for entry points, and one
transaction per item for jobs that work through a list."""
import logging

from extensions import db
from services.shared import job_queue

log = logging.getLogger(__name__)
QUEUES = ("default", "notices", "bulk", "scheduled")
REGISTRY = {}


def job(queue="default", timeout=600, retries=(30, 120, 600)):
    """Register a job function `fn(session, *args)`; it runs in its own unit of work."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue}")

    def register(fn):
        name = f"{fn.__module__}.{fn.__name__}"
        fn.job_name, fn.queue, fn.timeout, fn.retries = name, queue, timeout, retries
        REGISTRY[name] = fn
        return fn

    return register


def enqueue(fn, *args, job_id=None):
    """Dispatch `fn` after the current transaction commits (or now, if none is open)."""
    job_queue.enqueue(db.session, fn.job_name, *args, job_id=job_id)


def each_in_own_transaction(session, ids, work, what):
    """{id: work(id)} with one commit per id, so one failure (a channel down, a bad row) is rolled back,
    logged as "could not <what> <id>", reported as "failed" and tried again next period; the rest stand."""
    outcomes = {}
    for item_id in ids:
        try:
            outcomes[item_id] = work(item_id)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not %s %s", what, item_id)
            outcomes[item_id] = "failed"
    return outcomes
