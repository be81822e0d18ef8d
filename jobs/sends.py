"""Send jobs: a send run to its end chunk by chunk (each chunk committed, so a restart resumes), and the tick that
starts scheduled sends, wakes those waiting out SMS quiet hours and restarts any whose worker died."""
import logging
import time

from jobs.base import enqueue, job
from services.outreach import run as outreach_run
from services.outreach.wechat_batch import MinuteQuotaReached

log = logging.getLogger(__name__)
MINUTE_QUOTA_PAUSE = 10  # seconds to wait when WeChat says the minute's calls are used up


@job(queue="bulk", timeout=6 * 3600)
def run_send(session, send_id, pause=time.sleep):
    """Run a send while it has work now. A failure is noted on the send and raised again for RQ to retry."""
    try:
        while True:
            try:
                more = outreach_run.run_chunk(session, send_id)
            except MinuteQuotaReached:
                session.rollback()
                pause(MINUTE_QUOTA_PAUSE)
                continue
            session.commit()
            if not more:
                return send_id
    except Exception as exc:
        session.rollback()
        outreach_run.note_failure(session, send_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        raise


@job(queue="scheduled", timeout=300)
def start_due_sends(session):
    """Every minute: each due send gets a run (a send runs one step at a time under its row lock, so a second
    run of the same send only waits its turn)."""
    due = outreach_run.due(session)
    for send_id in due:
        enqueue(run_send, send_id)
    if due:
        log.info("started %d sends", len(due))
    return len(due)
