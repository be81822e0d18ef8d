"""How a job goes: onto its RQ queue when REDIS_URL is set, else run inline in a fresh application context; and
`execute`, what a worker runs for each job, inside the application the worker built once at start."""
import logging

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

from extensions import db
from jobs import catalogue  # noqa: F401  (registers every job)
from jobs.base import REGISTRY

log = logging.getLogger(__name__)


def send(job_name, args, job_id):
    """Installed into services/shared/job_queue.py by the application factory; runs after a commit."""
    app = current_app._get_current_object()
    fn = REGISTRY[job_name]
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        _run_inline(app, job_name, args)
        return
    queue = Queue(fn.queue, connection=redis_for(app, redis_url))
    queue.enqueue(execute, job_name, *args, job_id=job_id, job_timeout=fn.timeout, failure_ttl=7 * 24 * 3600,
                  retry=Retry(max=len(fn.retries), interval=list(fn.retries)))
    log.info("enqueued %s on %s (job %s)", job_name, fn.queue, job_id)


def redis_for(app, url):
    """One connection pool per app and URL: a new connection per job costs more than the enqueue."""
    connections = app.extensions.setdefault("job_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url)
    return connections[url]


def _run_inline(app, job_name, args):
    """No Redis: run now, in a fresh app context so it has its own session and its own commit."""
    try:
        with app.app_context():
            execute(job_name, *args)
    except Exception:
        # Like a failed RQ job: logged, never breaks the request that caused it.
        log.exception("inline job %s failed", job_name)


def execute(name, *args):
    """What a worker runs: look the job up, run it as one unit of work, commit or roll back."""
    if not has_app_context():
        raise RuntimeError("jobs run inside the application: start workers with `flask worker`")
    fn = REGISTRY[name]
    with current_app.app_context():
        try:
            result = fn(db.session, *args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
