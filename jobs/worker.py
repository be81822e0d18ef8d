"""The RQ worker, run inside the application it builds once at start (`flask worker`): every job finds its
configuration, its database and its services ready, and no job builds an application of its own.

The worker counts and times each job (web/observability.py) in its own long-lived process rather than in the work
horse forked for the job: with PROMETHEUS_MULTIPROC_DIR, every process that records a metric leaves its own files,
and a horse per job would leave thousands for /metrics to read."""
import time

from redis import Redis
from rq import Queue, Worker
from rq.job import JobStatus

from extensions import db
from jobs.base import QUEUES
from jobs.dispatch import REQUEST_ID
from web import observability

OUTCOMES = {JobStatus.FINISHED: "ok", JobStatus.FAILED: "failed"}  # anything else is waiting for another try


class ApplicationWorker(Worker):
    """RQ forks a work horse per job; the horse must not share the parent's pooled database connections."""

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)

    def execute_job(self, job, queue):
        """Runs in the worker: RQ's own lines about the job carry its ids too, and the horse inherits them."""
        started = time.perf_counter()
        with observability.job_context(job.id, job.meta.get(REQUEST_ID)):
            super().execute_job(job, queue)
        outcome = _outcome(job)
        job_name = job.args[0] if job.args else job.func_name  # jobs.dispatch.execute(name, *args)
        observability.record_job(queue.name, job_name, outcome, time.perf_counter() - started)


def _outcome(job):
    try:
        return OUTCOMES.get(job.get_status(refresh=True), "retrying")
    except Exception:  # noqa: BLE001 - the job's hash is gone (expired): the count must not stop the worker
        return "unknown"


def run(redis_url, queues=QUEUES, burst=False):
    """Work the queues until stopped (or, with `burst`, until they are empty). Call inside an app context."""
    connection = Redis.from_url(redis_url)
    worker = ApplicationWorker([Queue(name, connection=connection) for name in queues], connection=connection)
    return worker.work(burst=burst)
