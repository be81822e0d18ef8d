"""Work a use case asks for once its transaction commits (a template notice to send, a refund to retry).

A job is named by the name it is registered under (jobs/registry.py: "module.function"), so services never import
jobs/ or the application. Asked for inside a transaction, it is held until the commit and dropped by a rollback;
asked for outside one, it goes at once. The application installs how a job goes (jobs/dispatch.py: an RQ queue
with Redis, else run inline).
"""
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

_PENDING = "pending_jobs"
_send = None


def install(send):
    """`send(job_name, args, job_id)`: called by the application factory."""
    global _send
    _send = send


def enqueue(session, job_name, *args, job_id=None):
    if isinstance(session, scoped_session):
        session = session()  # the request's own session, whose commit sends what it holds
    pending = (job_name, args, job_id)
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append(pending)
    else:
        _go(pending)


def _go(pending):
    if _send is None:
        raise RuntimeError("no job dispatcher is installed: create_app() installs one")
    _send(*pending)


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (SQLAlchemy fires after_commit for it too): the real commit is still to come
    for pending in session.info.pop(_PENDING, []):
        _go(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session):
    if session.in_nested_transaction():
        return  # only a SAVEPOINT rolled back: what the outer transaction queued still stands
    session.info.pop(_PENDING, None)
