"""Bulk issue against PostgreSQL: filters, progress, resuming after a crash without duplicates, stock shortfall."""
from datetime import date, timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import DomainError
from jobs import coupons as coupon_jobs
from jobs.base import enqueue
from jobs.dispatch import execute
from models import BulkIssue, CouponCode, CouponTemplate, Level
from services.coupons import bulk as coupon_bulk, issue as coupon_issue, templates as coupon_templates
from services.issuance import coupon_walk
from services.members import members


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="会员日立减5元", amount_off=500,
                                              validity_mode="relative", valid_days=7, per_member_limit=1)
    return dict(merchant=merchant, owner=owner, template=template)


def members_of(make, shop, n):
    return [make.member(shop["merchant"]).id for _ in range(n)]


def bulk_of(db, bulk_id):
    db.session.expire_all()
    return db.session.get(BulkIssue, bulk_id)


def codes_per_member(db, template_id):
    return dict(db.session.execute(select(CouponCode.member_id, func.count(CouponCode.id))
                                   .where(CouponCode.template_id == template_id).group_by(CouponCode.member_id)).all())


def test_does_a_bulk_issue_run_inline_to_done_with_full_progress(db, make, shop):
    ids = members_of(make, shop, 7)
    bulk = coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {})
    enqueue(coupon_jobs.bulk_issue, bulk.id)
    assert bulk.status == "queued" and bulk.total == 7
    db.session.commit()

    done = bulk_of(db, bulk.id)
    assert (done.status, done.issued, done.skipped, done.last_member_id) == ("done", 7, 0, max(ids))
    assert done.finished_at is not None and coupon_bulk.progress(done) == 100
    assert codes_per_member(db, shop["template"].id) == {i: 1 for i in ids}
    assert set(db.session.scalars(select(CouponCode.channel))) == {"bulk"}


def test_do_the_level_tag_and_join_date_filters_choose_the_members(db, make, shop):
    merchant = shop["merchant"]
    silver = db.session.scalars(select(Level).where(Level.merchant_id == merchant.id, Level.rank == 2)).one()
    tag = members.ensure_tag(db.session, merchant.id, "常客")
    plain, tagged, silver_member, old = (make.member(merchant) for _ in range(4))
    tagged.tags.append(tag)
    silver_member.level_id = silver.id
    old.created_at = now_utc() - timedelta(days=400)
    db.session.flush()
    today = now_utc().date()

    assert coupon_bulk.count_matching(db.session, merchant, coupon_bulk.clean_filters(
        db.session, merchant, {"tag_id": tag.id})) == 1
    assert coupon_bulk.count_matching(db.session, merchant, coupon_bulk.clean_filters(
        db.session, merchant, {"level_id": silver.id})) == 1
    recent = coupon_bulk.clean_filters(db.session, merchant, {"joined_from": today - timedelta(days=30),
                                                             "joined_until": (today + timedelta(days=1)).isoformat()})
    assert recent == {"joined_from": (today - timedelta(days=30)).isoformat(),
                      "joined_until": (today + timedelta(days=1)).isoformat()}
    assert coupon_bulk.count_matching(db.session, merchant, recent) == 3
    with pytest.raises(DomainError, match="注册日期的开始不能晚于结束"):
        coupon_bulk.clean_filters(db.session, merchant, {"joined_from": date(2025, 2, 1), "joined_until": date(2025, 1, 1)})
    with pytest.raises(DomainError, match="日期格式不正确"):
        coupon_bulk.clean_filters(db.session, merchant, {"joined_from": "yesterday"})


def test_is_another_merchants_level_refused_as_a_filter(db, make, shop):
    other = make.merchant()
    foreign = db.session.scalars(select(Level.id).where(Level.merchant_id == other.id)).first()
    with pytest.raises(DomainError):
        coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {"level_id": foreign})


def test_does_a_worker_killed_mid_way_resume_without_duplicates(db, make, shop, monkeypatch):
    ids = members_of(make, shop, 8)
    bulk = coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {})
    db.session.commit()
    monkeypatch.setattr(coupon_bulk, "CHUNK", 3)
    real_issue, calls = coupon_walk.issue_next, []

    def dying_issue(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(coupon_walk, "issue_next", dying_issue)
    with pytest.raises(RuntimeError):
        execute(coupon_jobs.bulk_issue.job_name, bulk.id)

    crashed = bulk_of(db, bulk.id)
    assert (crashed.status, crashed.issued, crashed.last_member_id) == ("failed", 3, ids[2])
    assert "worker killed" in crashed.error and len(codes_per_member(db, shop["template"].id)) == 3

    monkeypatch.setattr(coupon_walk, "issue_next", real_issue)
    execute(coupon_jobs.bulk_issue.job_name, bulk.id)
    execute(coupon_jobs.bulk_issue.job_name, bulk.id)  # a duplicate delivery of the job changes nothing

    finished = bulk_of(db, bulk.id)
    assert (finished.status, finished.issued, finished.skipped, finished.error) == ("done", 8, 0, None)
    assert codes_per_member(db, shop["template"].id) == {i: 1 for i in ids}


def test_does_a_stock_shortfall_end_the_issue_with_a_note_and_count_the_rest_skipped(db, make, shop):
    template = coupon_templates.save_template(db.session, shop["owner"], None, kind="cash", title="限量券", amount_off=500,
                                              validity_mode="relative", valid_days=7, stock_total=3)
    members_of(make, shop, 5)
    bulk = coupon_bulk.start(db.session, shop["owner"], template.id, {})
    db.session.commit()
    execute(coupon_jobs.bulk_issue.job_name, bulk.id)

    done = bulk_of(db, bulk.id)
    assert (done.status, done.issued, done.skipped) == ("done", 3, 2)
    assert "券已领完" in done.error and coupon_bulk.progress(done) == 100
    assert db.session.get(CouponTemplate, template.id).stock_issued == 3


def test_is_a_member_over_the_limit_skipped_and_the_rest_still_issued(db, make, shop):
    ids = members_of(make, shop, 3)
    coupon_issue.claim(db.session, shop["merchant"], shop["template"].id, ids[1], channel="h5", key="own")
    bulk = coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {})
    db.session.commit()
    execute(coupon_jobs.bulk_issue.job_name, bulk.id)
    done = bulk_of(db, bulk.id)
    assert (done.status, done.issued, done.skipped) == ("done", 2, 1)
    assert codes_per_member(db, shop["template"].id) == {i: 1 for i in ids}


def test_is_a_filter_matching_nobody_refused(db, make, shop):
    tag = members.ensure_tag(db.session, shop["merchant"].id, "无人")
    make.member(shop["merchant"])
    with pytest.raises(DomainError, match="没有符合条件的会员"):
        coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {"tag_id": tag.id})


def test_with_redis_does_a_real_worker_run_the_bulk_issue_after_commit(app, db, make, shop, redis_url):
    ids = members_of(make, shop, 4)
    app.config["REDIS_URL"] = redis_url
    try:
        bulk = coupon_bulk.start(db.session, shop["owner"], shop["template"].id, {})
        enqueue(coupon_jobs.bulk_issue, bulk.id)
        connection = Redis.from_url(redis_url)
        queue = Queue("bulk", connection=connection)
        assert queue.count == 0
        db.session.commit()
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        app.config["REDIS_URL"] = ""
    done = bulk_of(db, bulk.id)
    assert (done.status, done.issued) == ("done", 4)
    assert codes_per_member(db, shop["template"].id) == {i: 1 for i in ids}
