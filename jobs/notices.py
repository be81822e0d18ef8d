"""Template-notice jobs on the 'notices' queue: one send per delivery, retried with backoff."""
from jobs.base import job
from services.wechat import notices


class NoticeSendFailed(RuntimeError):
    """Raised after the failure is committed, so RQ retries the job (10 s, 1 min, 5 min)."""


@job(queue="notices", retries=(10, 60, 300))
def send_notice(session, delivery_id):
    error = notices.send(session, delivery_id)
    session.commit()  # keep the attempt and the error even though the job fails
    if error:
        raise NoticeSendFailed(f"notice {delivery_id}: {error}")
    return delivery_id
