"""The scheduler's tick and a run's life.

`tick` evaluates every live campaign: each occasion due since its last evaluation (a scheduler down for a day
catches up, at most 31 days) opens a run, unique per (campaign, occasion), whose targets are frozen at once
(services/campaigns/targets.py) and cut into chunks of target ids. `run_chunk` gives one chunk: it claims the chunk
with FOR UPDATE SKIP LOCKED inside the transaction that rewards it and marks it done, so any number of workers
share a run, and a worker killed mid-chunk leaves the chunk (and nothing of it) for the next. A paused campaign's
chunk is left untouched; an ended one's members are skipped with the reason.
"""
from sqlalchemy import func, insert, select, text, update

from domain import campaigns as rules
from domain.clock import now_utc
from models import Campaign, CampaignChunk, CampaignRun, CampaignTarget, Member, Merchant
from services.campaigns import giving, setup, targets, telling
from services.shared import job_queue
from services.shared.id_lists import among

RUN_JOB = "jobs.campaigns.run_campaign"  # jobs/campaigns.py
CHUNK = 5000


def tick(session, now=None):
    """Evaluate every live campaign; returns the ids of runs that have chunks to give (the caller starts them)."""
    now = now or now_utc()
    started = []
    for campaign_id in [c.id for c in setup.live_campaigns(session)]:
        campaign = session.scalars(select(Campaign).where(Campaign.id == campaign_id, Campaign.state.in_(setup.LIVE))
                                   .with_for_update(skip_locked=True)).one_or_none()
        if campaign is None:
            continue  # another scheduler is evaluating it, or it was paused meanwhile
        started += evaluate(session, campaign, now)
    return started


def evaluate(session, campaign, now):
    """Open a run for each occasion of the campaign due since it was last evaluated."""
    merchant = session.get(Merchant, campaign.merchant_id)
    started = []
    for occasion in rules.occasions_due(campaign.kind, campaign.schedule, tz_name=merchant.timezone,
                                        since=campaign.checked_at, now=now):
        run = open_run(session, campaign, merchant, occasion, now)
        if run is not None and run.state == "running":
            started.append(run.id)
    campaign.checked_at = now
    if campaign.kind == "one_off" and _opened_once(session, campaign) and not _others_running(session, campaign):
        setup.mark_ended(campaign, "已执行完毕")  # its one run found nobody, or is done already
    session.flush()
    return started


def open_run(session, campaign, merchant, occasion, now, freeze=True):
    """The occasion's run with its targets frozen and chunked; None when it was opened before. Without
    `freeze` the run starts empty (an audience-entry campaign's run of the day, which members join one by one)."""
    if session.scalar(select(CampaignRun.id).where(CampaignRun.merchant_id == merchant.id,
                                                   CampaignRun.campaign_id == campaign.id,
                                                   CampaignRun.occasion == occasion.key)) is not None:
        return None
    rewards = campaign.rewards.get("second", {}) if occasion.step == 2 else campaign.rewards
    run = CampaignRun(merchant_id=merchant.id, campaign_id=campaign.id, occasion=occasion.key, state="running",
                      rewards={k: v for k, v in rewards.items() if k != "second"}, message=campaign.message,
                      created_at=now)
    session.add(run)
    session.flush()
    if not freeze:
        return run
    targets.freeze(session, campaign, run, merchant, occasion, now)
    _count_and_chunk(session, run)
    if run.chunks == 0:
        run.state, run.finished_at = "done", now
    else:
        campaign.state = "running"
        job_queue.enqueue(session, RUN_JOB, run.id)
    return run


def _count_and_chunk(session, run):
    first, last, total, held = session.execute(
        select(func.min(CampaignTarget.id), func.max(CampaignTarget.id), func.count(),
               func.count().filter(CampaignTarget.state == "holdout"))
        .where(CampaignTarget.run_id == run.id)).one()
    run.targeted, run.holdout = total, held
    if not total or total == held:
        return
    run.first_target_id, run.last_target_id = first, last
    seqs = range((last - first) // CHUNK + 1)
    session.execute(insert(CampaignChunk), [
        {"merchant_id": run.merchant_id, "run_id": run.id, "seq": i, "first_id": first + i * CHUNK,
         "last_id": min(last, first + (i + 1) * CHUNK - 1), "done": False} for i in seqs])
    run.chunks = len(seqs)


def run_chunk(session, run_id, now=None):
    """Give the next free chunk of the run. True while chunks remain (the caller commits between calls)."""
    now = now or now_utc()
    chunk = session.scalars(select(CampaignChunk).where(CampaignChunk.run_id == run_id, CampaignChunk.done.is_(False))
                            .order_by(CampaignChunk.seq).limit(1).with_for_update(skip_locked=True)).one_or_none()
    if chunk is None:
        if not _chunks_left(session, run_id):  # else another worker is giving the last ones: it finishes
            finish(session, run_id, now)
        return False
    run = session.get(CampaignRun, run_id)
    campaign = session.get(Campaign, run.campaign_id)
    session.refresh(campaign, ["state", "ended_reason"])
    if campaign.state == "paused":
        return False  # resume starts the job again; the chunk waits untouched
    merchant = session.get(Merchant, run.merchant_id)
    pending = _pending_members(session, run, chunk)
    if campaign.state == "ended":
        reason = "budget" if campaign.ended_reason == giving.BUDGET_SPENT else "ended"
        given = giving.Given(skipped={m: reason for m in pending})
    else:
        given = giving.give(session, merchant, campaign.id, run, pending, now,
                            picked=lambda n: _pending_query(run, chunk).limit(n))
    _mark_targets(session, run, chunk, given)
    told = telling.tell_chunk(session, merchant, run, chunk, now) if given.rewarded else 0
    session.execute(update(CampaignRun).where(CampaignRun.id == run.id).values(
        rewarded=CampaignRun.rewarded + len(given.rewarded), skipped=CampaignRun.skipped + len(given.skipped),
        coupons=CampaignRun.coupons + given.coupons, points=CampaignRun.points + given.points,
        notices=CampaignRun.notices + told, chunks_done=CampaignRun.chunks_done + 1,
        note=given.notes[-1] if given.notes else CampaignRun.note).execution_options(synchronize_session=False))
    chunk.done = True
    if given.budget_spent:
        locked = session.scalars(select(Campaign).where(Campaign.id == campaign.id).with_for_update()).one()
        if locked.state != "ended":
            setup.mark_ended(locked, giving.BUDGET_SPENT)
    session.flush()
    return True


def _pending_members(session, run, chunk):
    """Members of the chunk still to be given (ascending), among those still active members."""
    return list(session.scalars(_pending_query(run, chunk)))


def _pending_query(run, chunk):
    return (select(CampaignTarget.member_id).join(Member, Member.id == CampaignTarget.member_id)
            .where(CampaignTarget.run_id == run.id, CampaignTarget.id.between(chunk.first_id, chunk.last_id),
                   CampaignTarget.state == "pending", Member.status == "active")
            .order_by(CampaignTarget.member_id))


def _mark_targets(session, run, chunk, given):
    """The chunk's outcome: members no longer active, then each skip reason, then everyone else rewarded (one
    update over the chunk's range: no list of the rewarded, usually nearly all of it, is sent or searched)."""
    in_chunk = (CampaignTarget.run_id == run.id, CampaignTarget.id.between(chunk.first_id, chunk.last_id),
                CampaignTarget.state == "pending")
    active = select(Member.id).where(Member.id == CampaignTarget.member_id, Member.status == "active").exists()
    _set(session, in_chunk + (~active,), state="skipped", reason="inactive")
    if given.skipped and session.get_bind().dialect.name == "postgresql":
        # = ANY(ids) is hashed only when the array is planned as a constant: a generic plan (psycopg prepares a
        # statement from its sixth run) would compare every row with the whole array
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for reason in sorted(set(given.skipped.values())):
        members = sorted(m for m, r in given.skipped.items() if r == reason)
        _set(session, in_chunk + (among(session, CampaignTarget.member_id, members),), state="skipped", reason=reason)
    if given.rewarded:
        _set(session, in_chunk, state="rewarded")


def _set(session, conditions, **values):
    session.execute(update(CampaignTarget).where(*conditions).values(**values)
                    .execution_options(synchronize_session=False))


def finish(session, run_id, now):
    """The run's end, once (a conditional update picks one of the workers): its message goes out as a send, and
    the campaign goes back to waiting for its next occasion (a one-off ends)."""
    done = session.execute(update(CampaignRun).where(CampaignRun.id == run_id, CampaignRun.state == "running")
                           .values(state="done", finished_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return
    run = session.get(CampaignRun, run_id)
    session.refresh(run)
    telling.send_after_run(session, run, now)
    campaign = session.scalars(select(Campaign).where(Campaign.id == run.campaign_id).with_for_update()).one()
    if campaign.state == "running" and not _others_running(session, campaign, run):
        if campaign.kind == "one_off":
            setup.mark_ended(campaign, "已执行完毕")
        else:
            campaign.state = "scheduled"
    session.flush()


def resume(session, actor, campaign_id, now=None):
    """A paused campaign back on: its unfinished runs go on from their next chunk."""
    campaign = setup.switch_on(session, actor, campaign_id, now)
    for run_id in session.scalars(select(CampaignRun.id).where(CampaignRun.campaign_id == campaign.id,
                                                               CampaignRun.state == "running")):
        campaign.state = "running"
        job_queue.enqueue(session, RUN_JOB, run_id)
    return campaign


def note_failure(session, run_id, error):
    session.execute(update(CampaignRun).where(CampaignRun.id == run_id).values(note=str(error)[:200])
                    .execution_options(synchronize_session=False))


def unfinished(session):
    """Runs still giving (a worker may have died): the tick starts a job for each; a second job only waits."""
    return list(session.scalars(select(CampaignRun.id).join(Campaign, Campaign.id == CampaignRun.campaign_id)
                                .where(CampaignRun.state == "running", Campaign.state != "paused")))


def _chunks_left(session, run_id):
    return session.scalar(select(func.count()).select_from(CampaignChunk).where(
        CampaignChunk.run_id == run_id, CampaignChunk.done.is_(False))) > 0


def _others_running(session, campaign, run=None):
    return session.scalar(select(func.count()).select_from(CampaignRun).where(
        CampaignRun.campaign_id == campaign.id, CampaignRun.state == "running",
        CampaignRun.id != (run.id if run is not None else 0))) > 0


def _opened_once(session, campaign):
    return session.scalar(select(func.count()).select_from(CampaignRun)
                          .where(CampaignRun.campaign_id == campaign.id)) > 0
