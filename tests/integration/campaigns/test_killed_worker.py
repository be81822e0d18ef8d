"""A worker process killed half-way through issuing (after a chunk's codes were inserted, before its commit) and
a new worker started: exactly one code per member, all distinct, the counts exact. The same for the bulk issue."""
import multiprocessing
import os

from sqlalchemy import func, select

from extensions import db as database
from jobs import campaigns as campaign_jobs, coupons as coupon_jobs
from models import BulkIssue, CampaignRun, CouponCode
from services.audiences import saved
from services.audiences.filters import Filters
from services.campaigns import runs
from services.coupons import bulk as coupon_bulk
from services.issuance import coupon_picks, coupon_walk
from tests.integration.campaigns.support import campaign, shop, tick, utc

MEMBERS = 23


def _die_in_second_chunk(app, job, target_id, chunk_attr, issuer):
    """The child: the job's worker, killed (os._exit, no cleanup) right after its second chunk's codes went into
    the table, before that chunk's commit."""
    with app.app_context():
        for engine in database.engines.values():
            engine.dispose(close=False)  # the parent's pooled connections are not ours to use
        module, attr = chunk_attr
        setattr(module, attr, 5)
        issuer_module, issuer_name = issuer
        real_issue, calls = getattr(issuer_module, issuer_name), []

        def issue_then_maybe_die(*args, **kwargs):
            issued = real_issue(*args, **kwargs)
            calls.append(issued)
            if len(calls) == 2:
                os._exit(9)
            return issued

        setattr(issuer_module, issuer_name, issue_then_maybe_die)
        job(database.session, target_id)
        os._exit(0)


def _kill_a_worker(app, job, target_id, chunk_attr, issuer):
    worker = multiprocessing.get_context("fork").Process(target=_die_in_second_chunk,
                                                         args=(app, job, target_id, chunk_attr, issuer))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == 9


def _codes(db, **where):
    db.session.expire_all()
    rows = db.session.execute(select(CouponCode.member_id, CouponCode.code).filter_by(**where)).all()
    return [r.member_id for r in rows], [r.code for r in rows]


def test_does_a_killed_campaign_worker_leave_one_code_per_member(app, db, make, monkeypatch):
    merchant, owner, coupon = shop(db, make)
    members = [make.member(merchant).id for _ in range(MEMBERS)]
    audience = saved.save(db.session, owner, None, name="全部", filters=Filters())
    row = campaign(db, owner, coupon, kind="one_off", schedule={"at": "2026-12-24T10:00"}, audience_id=audience.id,
                   now=utc(2026, 12, 6))
    monkeypatch.setattr(runs, "CHUNK", 5)
    monkeypatch.setattr(runs.job_queue, "enqueue", lambda *args, **kwargs: None)  # the workers are the test's
    run_id = tick(db, utc(2026, 12, 24, 2, 1), give=False)[0]

    _kill_a_worker(app, campaign_jobs.run_campaign, run_id, (runs, "CHUNK"), (coupon_picks, "issue_to"))
    holders, _ = _codes(db, campaign_id=row.id)
    assert len(holders) == 5 and set(holders) <= set(members)  # the first chunk committed, the second died with it

    campaign_jobs.run_campaign(db.session, run_id)  # the restarted worker
    campaign_jobs.run_campaign(db.session, run_id)  # and a duplicate delivery of the job
    holders, codes = _codes(db, campaign_id=row.id)
    assert sorted(holders) == sorted(members) and len(set(codes)) == MEMBERS
    run = db.session.get(CampaignRun, run_id)
    assert (run.state, run.targeted, run.rewarded, run.coupons, run.chunks_done) == ("done", MEMBERS, MEMBERS,
                                                                                     MEMBERS, run.chunks)


def test_does_a_killed_bulk_issue_worker_leave_one_code_per_member(app, db, make, monkeypatch):
    merchant, owner, coupon = shop(db, make, per_member_limit=1)
    members = [make.member(merchant).id for _ in range(MEMBERS)]
    bulk = coupon_bulk.start(db.session, owner, coupon.id, {})
    db.session.commit()
    _kill_a_worker(app, coupon_jobs.bulk_issue, bulk.id, (coupon_bulk, "CHUNK"), (coupon_walk, "issue_next"))
    assert len(_codes(db, template_id=coupon.id)[0]) == 5

    monkeypatch.setattr(coupon_bulk, "CHUNK", 5)
    coupon_jobs.bulk_issue(db.session, bulk.id)
    db.session.commit()  # what the job's runner does after the job returns
    holders, codes = _codes(db, template_id=coupon.id)
    assert sorted(holders) == sorted(members) and len(set(codes)) == MEMBERS
    done = db.session.get(BulkIssue, bulk.id)
    assert (done.status, done.issued, done.skipped) == ("done", MEMBERS, 0)
    assert db.session.scalar(select(func.count()).select_from(CouponCode)) == MEMBERS
