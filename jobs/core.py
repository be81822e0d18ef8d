"""The job decorator, the registry, dispatch after commit, and the entry point RQ workers call."""
import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db

log = logging.getLogger(__name__)
QUEUES = ("default", "notices", "bulk", "scheduled")
REGISTRY = {}
_worker_app = None


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
    """Dispatch after the current transaction commits (or now, if none is open)."""
    session = db.session()
    pending = (fn, args, job_id)
    if session.in_transaction():
        session.info.setdefault("pending_jobs", []).append(pending)
    else:
        _dispatch(current_app._get_current_object(), *pending)


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (SQLAlchemy fires after_commit for it too): the real commit is still to come
    pending = session.info.pop("pending_jobs", [])
    if pending:
        app = current_app._get_current_object()
        for item in pending:
            _dispatch(app, *item)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session):
    if session.in_nested_transaction():
        return  # only a SAVEPOINT rolled back: what the outer transaction queued still stands
    session.info.pop("pending_jobs", None)


def _dispatch(app, fn, args, job_id):
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        _run_inline(app, fn, args)
        return
    from rq import Queue, Retry

    queue = Queue(fn.queue, connection=_redis_for(app, redis_url))
    queue.enqueue(execute, fn.job_name, *args, job_id=job_id, job_timeout=fn.timeout, failure_ttl=7 * 24 * 3600,
                  retry=Retry(max=len(fn.retries), interval=list(fn.retries)))
    log.info("enqueued %s on %s (job %s)", fn.job_name, fn.queue, job_id)


def _redis_for(app, url):
    """One connection pool per app and URL: a new connection per job costs more than the enqueue."""
    from redis import Redis

    connections = app.extensions.setdefault("job_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url)
    return connections[url]


def _run_inline(app, fn, args):
    """No Redis: run now, in a fresh app context so it has its own session and its own commit."""
    try:
        with app.app_context():
            execute(fn.job_name, *args)
    except Exception:
        # Like a failed RQ job: logged, never breaks the request that caused it.
        log.exception("inline job %s failed", fn.job_name)


def execute(name, *args):
    """What a worker runs: look the job up, run it as one unit of work, commit or roll back."""
    import jobs.tasks  # noqa: F401  (registers every job)

    fn = REGISTRY[name]
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context():
        try:
            result = fn(db.session, *args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def _app_for_worker():
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


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
