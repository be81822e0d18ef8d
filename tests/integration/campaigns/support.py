"""A shop with a coupon and a helper to run the scheduler at a chosen moment."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from models import CampaignRun, CampaignTarget, CouponCode, Member
from services.campaigns import runs, setup
from services.coupons import templates as coupon_templates


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def shop(db, make, **template):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    values = dict(kind="cash", title="生日券", amount_off=1000, validity_mode="relative", valid_days=30)
    coupon = coupon_templates.save_template(db.session, owner, None, **(values | template))
    return merchant, owner, coupon


def campaign(db, owner, coupon, kind="birthday", schedule=None, on=True, now=None, **values):
    schedule = schedule or {"mode": "days_before", "days_before": 3, "hour": 9}
    values.setdefault("rewards", {"coupons": [{"template_id": coupon.id, "count": 1}]})
    row = setup.save(db.session, owner, None, name=values.pop("name", "活动"), kind=kind, schedule=schedule,
                     now=now, **values)
    if on:
        setup.switch_on(db.session, owner, row.id, now=now)
    db.session.commit()
    return row


def tick(db, now, give=True):
    """The scheduler's tick at `now`, then (with `give`) each run it opened given out at that same moment, as its
    job would (inline, the job would take the real clock)."""
    held, runs.job_queue.enqueue = runs.job_queue.enqueue, lambda *args, **kwargs: None
    try:
        started = runs.tick(db.session, now)
        db.session.commit()
    finally:
        runs.job_queue.enqueue = held
    for run_id in started if give else ():
        while runs.run_chunk(db.session, run_id, now):
            db.session.commit()
        db.session.commit()
    return started


def codes_of(db, campaign_id):
    db.session.expire_all()
    return dict(db.session.execute(select(CouponCode.member_id, func.count()).where(
        CouponCode.campaign_id == campaign_id).group_by(CouponCode.member_id)).all())


def runs_of(db, campaign_id):
    db.session.expire_all()
    return db.session.scalars(select(CampaignRun).where(CampaignRun.campaign_id == campaign_id)
                              .order_by(CampaignRun.id)).all()


def targets_of(db, campaign_id):
    return db.session.execute(select(CampaignTarget.member_id, CampaignTarget.period, CampaignTarget.state,
                                     CampaignTarget.reason).where(CampaignTarget.campaign_id == campaign_id)
                              .order_by(CampaignTarget.id)).all()


def points_of(db, member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).points_balance
