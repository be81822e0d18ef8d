"""How a job goes: onto its RQ queue when REDIS_URL is set, else run inline in a fresh application context; and
`execute`, what a worker runs for each job, inside the application the worker built once at start.

A job carries the id of the request (or job) that enqueued it in its RQ meta, and logs it beside its own id
(web/observability.py); inline jobs are counted in the job metrics here, queued ones by the worker (jobs/worker.py).
"""
import contextlib
import logging
import time
import uuid

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, get_current_job

from extensions import db
from jobs import catalogue  # noqa: F401  (registers every job)
from jobs.base import REGISTRY
from web import observability

log = logging.getLogger(__name__)
REQUEST_ID = "request_id"  # the key in a job's meta


def send(job_name, args, job_id):
    """Installed into services/shared/job_queue.py by the application factory; runs after a commit."""
    app = current_app._get_current_object()
    fn = REGISTRY[job_name]
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        run_inline(app, job_name, args)
        return
    queue = Queue(fn.queue, connection=redis_for(app, redis_url))
    queued = queue.enqueue(execute, job_name, *args, job_id=job_id, job_timeout=fn.timeout,
                           failure_ttl=7 * 24 * 3600, retry=Retry(max=len(fn.retries), interval=list(fn.retries)),
                           meta={REQUEST_ID: observability.current_request_id()})
    log.info("enqueued %s on %s (job %s)", job_name, fn.queue, queued.id)


def redis_for(app, url):
    """One connection pool per app and URL: a new connection per job costs more than the enqueue."""
    connections = app.extensions.setdefault("job_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url)
    return connections[url]


def run_inline(app, job_name, args):
    """No Redis: run now, in a fresh app context so it has its own session and its own commit."""
    started, outcome = time.perf_counter(), "ok"
    with observability.job_context(f"inline-{uuid.uuid4().hex}", observability.current_request_id()):
        try:
            with app.app_context():
                execute(job_name, *args)
        except Exception:
            # Like a failed RQ job: logged, never breaks the request that caused it.
            outcome = "failed"
            log.exception("inline job %s failed", job_name)
    observability.record_job(REGISTRY[job_name].queue, job_name, outcome, time.perf_counter() - started)


def execute(name, *args):
    """What a worker runs: look the job up, run it as one unit of work, commit or roll back."""
    if not has_app_context():
        raise RuntimeError("jobs run inside the application: start workers with `flask worker`")
    fn = REGISTRY[name]
    with current_app.app_context(), _context_of_queued_job():
        try:
            result = fn(db.session, *args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def _context_of_queued_job():
    """On a worker, the RQ job's id and its enqueuing request's id for the log lines; inline, the caller set them."""
    queued = get_current_job()
    if queued is None:
        return contextlib.nullcontext()
    return observability.job_context(queued.id, queued.meta.get(REQUEST_ID))
