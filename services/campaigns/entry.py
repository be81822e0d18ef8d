"""自动派券: a member who comes to match a live audience-entry campaign's audience (spend reaches 1,000, points reach
500, joined through a channel) gets its rewards once, ever (period "once").

After a payment, a top-up or a join, `after_change` asks for a job that checks the member once the change has
committed (the till does not wait for it); the job adds the member to the day's live run as a one-member chunk,
which is given out like any chunk. The nightly occasion of the campaign sweeps everyone else (members changed by
hand, imports). The merchant's live campaigns of this kind are remembered per process for a few seconds, so a
payment of a merchant without one asks nothing more of the database.
"""
from sqlalchemy import func, insert, select

from domain.campaigns import Occasion
from domain.clock import local_today, now_utc
from models import Campaign, CampaignChunk, CampaignRun, CampaignTarget, Member, Merchant
from services.campaigns import runs, targets
from services.shared import job_queue, merchant_memory

CHECK_JOB = "jobs.campaigns.check_audience_entry"  # jobs/campaigns.py
KIND = "audience_entry"
merchant_memory.watch(Campaign, "entry_campaigns")


def after_change(session, merchant_id, member_id):
    """Ask for the member's check after commit when the merchant has a live audience-entry campaign."""
    if merchant_memory.recall("entry_campaigns", merchant_id, lambda: _live_ids(session, merchant_id)):
        job_queue.enqueue(session, CHECK_JOB, merchant_id, member_id)


def check_member(session, merchant_id, member_id, now=None):
    """Give each live audience-entry campaign's rewards to the member if they now match and never had them;
    returns the ids of the campaigns that gave."""
    now = now or now_utc()
    merchant = session.get(Merchant, merchant_id)
    gave = []
    for campaign_id in _live_ids(session, merchant_id):
        campaign = session.get(Campaign, campaign_id)
        today = local_today(merchant.timezone, now)
        occasion = Occasion(f"live:{today.isoformat()}", now, today)
        matching = [chosen.where(Member.id == member_id)
                    for chosen in targets.selections(session, campaign, merchant, occasion, now)]
        if not any(session.scalar(select(func.count()).select_from(q.subquery())) for q in matching):
            continue
        run = _live_run(session, campaign, merchant, occasion, now)
        if _add_target(session, campaign, run, merchant, matching):
            while runs.run_chunk(session, run.id, now):
                pass
            gave.append(campaign.id)
    return gave


def _live_ids(session, merchant_id):
    return tuple(session.scalars(select(Campaign.id).where(Campaign.merchant_id == merchant_id,
                                                           Campaign.kind == KIND,
                                                           Campaign.state.in_(("scheduled", "running")))))


def _live_run(session, campaign, merchant, occasion, now):
    run = session.scalars(select(CampaignRun).where(CampaignRun.merchant_id == merchant.id,
                                                    CampaignRun.campaign_id == campaign.id,
                                                    CampaignRun.occasion == occasion.key)
                          .with_for_update()).one_or_none()
    if run is None:
        run = runs.open_run(session, campaign, merchant, occasion, now, freeze=False)
        session.refresh(run, with_for_update=True)
    return run


def _add_target(session, campaign, run, merchant, matching):
    """The member as a target of the run (nothing when they had it before) and a one-member chunk."""
    insert_rows = targets.insert_selection(session, campaign, run, merchant, matching)
    if not insert_rows:
        return False
    target_id = session.scalar(select(func.max(CampaignTarget.id)).where(CampaignTarget.run_id == run.id))
    seq = session.scalar(select(func.coalesce(func.max(CampaignChunk.seq) + 1, 0))
                         .where(CampaignChunk.run_id == run.id))
    session.execute(insert(CampaignChunk).values(merchant_id=merchant.id, run_id=run.id, seq=seq,
                                                 first_id=target_id, last_id=target_id, done=False))
    run.targeted, run.chunks, run.state = run.targeted + 1, run.chunks + 1, "running"
    session.flush()
    return True
