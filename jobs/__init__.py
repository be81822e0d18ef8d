"""Background jobs. `enqueue` sends work to RQ when REDIS_URL is set, or runs it inline otherwise.

Jobs are dispatched only after the enqueuing transaction commits, so a worker never looks for rows
that are not there yet, and a rolled-back request enqueues nothing.
"""
from jobs.core import QUEUES, enqueue, execute, job

__all__ = ["QUEUES", "enqueue", "execute", "job"]
