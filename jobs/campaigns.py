"""Campaign jobs: a run given out chunk by chunk (each chunk committed with its targets marked, so a restart
resumes and several workers share a run), and the tick that evaluates every live campaign."""
import logging

from jobs.base import enqueue, job
from services.campaigns import entry, runs

log = logging.getLogger(__name__)


@job(queue="bulk", timeout=6 * 3600)
def run_campaign(session, run_id):
    """Give out a run to its end (or until its campaign is paused). A failure is noted on the run and raised
    again for RQ to retry."""
    try:
        while runs.run_chunk(session, run_id):
            session.commit()
        session.commit()
    except Exception as exc:
        session.rollback()
        runs.note_failure(session, run_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        raise
    return run_id


@job(queue="scheduled", timeout=600)
def evaluate_campaigns(session):
    """Every minute: due occasions of live campaigns become runs (started after commit by the run itself), and
    runs whose worker died get a new one (a second worker on a run only shares its chunks)."""
    started = runs.tick(session)
    session.commit()
    stalled = [run_id for run_id in runs.unfinished(session) if run_id not in started]
    for run_id in stalled:
        enqueue(run_campaign, run_id)
    if started:
        log.info("campaigns: %d runs started", len(started))
    return len(started)


@job(queue="default", timeout=120)
def check_audience_entry(session, merchant_id, member_id):
    """After a payment, a top-up or a join: the member's audience-entry rewards, if they now qualify."""
    gave = entry.check_member(session, merchant_id, member_id)
    session.commit()
    return gave
