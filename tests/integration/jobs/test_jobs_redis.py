"""Jobs: inline without Redis, on RQ queues with it, dispatched only after the enqueuing transaction commits."""
import time

from redis import Redis
from rq import Queue, SimpleWorker

from extensions import db as database
from jobs import campaigns, levels, payments, points, sends, wechat
from jobs.base import enqueue
from models import Member


def test_with_redis_does_a_job_wait_for_commit_then_run_on_a_worker(app, db, make, redis_url):
    merchant = make.merchant()
    owner = make.staff(merchant)
    member = make.member(merchant)
    member.visit_count = 12
    db.session.commit()
    merchant_id, member_id = merchant.id, member.id
    app.config["REDIS_URL"] = redis_url
    try:
        connection = Redis.from_url(redis_url)
        queue = Queue("bulk", connection=connection)
        enqueue(levels.reevaluate_levels, merchant_id)
        assert queue.count == 0, "nothing is sent before the transaction commits"
        owner.name = "店主"
        db.session.commit()
        assert queue.count == 1

        SimpleWorker([queue], connection=connection).work(burst=True)

        db.session.expire_all()
        assert db.session.get(Member, member_id).level.name == "银卡"
    finally:
        app.config["REDIS_URL"] = ""


def test_does_a_rolled_back_request_enqueue_nothing(app, db, make, redis_url):
    make.merchant()
    app.config["REDIS_URL"] = redis_url
    try:
        enqueue(points.expire_points_everywhere)
        database.session.rollback()
        database.session.commit()
        assert Queue("scheduled", connection=Redis.from_url(redis_url)).count == 0
    finally:
        app.config["REDIS_URL"] = ""


def test_does_each_period_of_a_periodic_job_get_claimed_once(redis_url):
    from jobs import schedule

    connection = Redis.from_url(redis_url)
    every_job = sorted(fn.job_name for fn, _ in schedule.PERIODIC)
    first = schedule.due_now(connection, now=7200)
    second = schedule.due_now(connection, now=7201)  # same periods, another scheduler
    assert sorted(fn.job_name for fn, _ in first) == every_job
    assert second == []
    five_minutes_on = sorted(fn.job_name for fn, _ in schedule.due_now(connection, now=7500))
    # the jobs that run every 5 minutes or more often: overdue orders, the sends' and campaigns' minute ticks and
    # the card packages' pushes
    assert five_minutes_on == sorted([payments.settle_overdue_orders.job_name, sends.start_due_sends.job_name,
                                      campaigns.evaluate_campaigns.job_name,
                                      wechat.push_card_packages_everywhere.job_name])
    # an hour on: every job of an hour or less (the daily ones wait for their day)
    assert len(schedule.due_now(connection, now=10800)) == len([fn for fn, every in schedule.PERIODIC if every <= 3600])


def test_without_redis_does_a_job_run_inline_after_commit(app, db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    member.visit_count = 12
    db.session.commit()
    enqueue(levels.reevaluate_levels, merchant.id)
    db.session.commit()
    db.session.expire_all()
    assert member.level.name == "银卡"


def test_does_the_application_worker_run_a_queued_job_in_a_forked_horse(app, db, make, redis_url):
    from jobs import worker

    merchant = make.merchant()
    member = make.member(merchant)
    member.visit_count = 12
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    try:
        enqueue(levels.reevaluate_levels, merchant.id)
        db.session.commit()
        assert Queue("bulk", connection=Redis.from_url(redis_url)).count == 1
        worker.run(redis_url, ("bulk",), burst=True)  # forks a work horse per job, as in production
        assert Queue("bulk", connection=Redis.from_url(redis_url)).count == 0
        db.session.expire_all()
        assert db.session.get(Member, member.id).level.name == "银卡"
    finally:
        app.config["REDIS_URL"] = ""


def test_is_every_job_a_service_names_registered():
    from jobs.base import REGISTRY
    from services.till import self_pay_orders
    from services.wechat import notices

    assert notices.SEND_JOB in REGISTRY
    assert self_pay_orders.REFUND_JOB in REGISTRY


def test_does_a_submitted_send_go_onto_the_bulk_queue_and_run_on_a_worker(app, db, make, redis_url):
    from services.outreach import run as send_run
    from tests.integration.outreach.support import delivered_openids, draft, shop_with_members

    shop, owner, fans, plain = shop_with_members(db, make)
    send = draft(db, owner)
    app.config["REDIS_URL"] = redis_url
    try:
        connection = Redis.from_url(redis_url)
        queue = Queue("bulk", connection=connection)
        send_run.submit(db.session, owner, send.id)
        assert queue.count == 0
        db.session.commit()
        assert [job.func_name for job in queue.jobs] == ["jobs.dispatch.execute"] and queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()
        assert db.session.get(type(send), send.id).status == "done"
        assert len(delivered_openids(db, shop)) == 3
    finally:
        app.config["REDIS_URL"] = ""


def test_does_the_in_process_scheduler_run_the_frequent_jobs_without_redis(app, monkeypatch):
    import threading

    from jobs import base as jobs_base
    from jobs import schedule

    ran = []

    @jobs_base.job()
    def tick_for_test(session):
        ran.append("tick")

    @jobs_base.job()
    def hourly_for_test(session):
        ran.append("hourly")

    monkeypatch.setitem(app.config, "IN_PROCESS_SCHEDULER", True)
    monkeypatch.setattr(schedule, "PERIODIC", [(tick_for_test, 1), (hourly_for_test, 3600)])
    stop = threading.Event()
    try:
        thread = schedule.start_in_process(app, tick_seconds=0.05, stop=stop)
        deadline = time.monotonic() + 5
        while "tick" not in ran and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        jobs_base.REGISTRY.pop(tick_for_test.job_name)
        jobs_base.REGISTRY.pop(hourly_for_test.job_name)
    thread.join(timeout=5)
    assert "tick" in ran and "hourly" not in ran and not thread.is_alive()
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    assert schedule.start_in_process(app) is None  # with Redis the scheduler process does it
