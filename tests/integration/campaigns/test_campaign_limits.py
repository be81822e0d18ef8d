"""Campaign limits against PostgreSQL: a budget two workers share, the weekly message cap across two campaigns,
the holdout and its uplift, pause and resume, audience entry once, tenant isolation and bad input."""
import threading

import pytest
from sqlalchemy import func, select

from domain.errors import DomainError, NotFound, PermissionDenied
from extensions import db as database
from models import Campaign, CampaignRun, CouponCode, MessageAllowance, Member
from services.audiences import saved
from services.audiences.filters import Filters
from services.campaigns import dry_run, entry, report, runs, setup
from services.outreach import settings as messaging_settings
from tests.integration.campaigns.support import campaign, codes_of, runs_of, shop, targets_of, tick, utc


DAYTIME = utc(2026, 12, 24, 2, 5)  # 10:05 in Shanghai: the workers' clock, outside the quiet hours


def everyone(db, owner, name="全部会员", **filters):
    return saved.save(db.session, owner, None, name=name, filters=Filters(**filters))


def one_off(db, owner, coupon, audience, **values):
    return campaign(db, owner, coupon, kind="one_off", schedule={"at": "2026-12-24T10:00"}, audience_id=audience.id,
                    now=utc(2026, 12, 6), **values)


def test_do_two_workers_on_one_campaign_never_exceed_its_budget(app, db, make, monkeypatch):
    merchant, owner, coupon = shop(db, make)
    members = [make.member(merchant) for _ in range(40)]
    row = one_off(db, owner, coupon, everyone(db, owner), budget_coupons=25)
    monkeypatch.setattr(runs, "CHUNK", 4)
    monkeypatch.setattr(runs.job_queue, "enqueue", lambda *args, **kwargs: None)  # the test runs the workers
    started = tick(db, utc(2026, 12, 24, 2, 1), give=False)
    assert len(started) == 1
    errors = []

    def worker():
        with app.app_context():
            try:
                while runs.run_chunk(database.session, started[0], DAYTIME):
                    database.session.commit()
                database.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    given = codes_of(db, row.id)
    assert sum(given.values()) == 25 and set(given.values()) == {1}
    db.session.expire_all()
    done = db.session.get(Campaign, row.id)
    assert (done.used_coupons, done.state, done.ended_reason) == (25, "ended", "预算已用完")
    run = runs_of(db, row.id)[0]
    assert (run.state, run.rewarded, run.skipped, run.chunks_done) == ("done", 25, 15, run.chunks)
    assert len(members) == 40


def test_does_the_weekly_cap_hold_across_two_campaigns_running_at_once(app, db, make, monkeypatch):
    merchant, owner, coupon = shop(db, make)
    messaging_settings.save(db.session, owner, sms_signature="小店", own_words_text="", sms_fallback=True,
                            campaign_messages_per_week="1")
    members = [make.member(merchant) for _ in range(30)]
    audience = everyone(db, owner)
    notice = {"channel": "notice"}
    first = one_off(db, owner, coupon, audience, name="A", message=notice)
    second = one_off(db, owner, coupon, audience, name="B", message=notice)
    monkeypatch.setattr(runs, "CHUNK", 7)
    monkeypatch.setattr(runs.job_queue, "enqueue", lambda *args, **kwargs: None)
    started = tick(db, utc(2026, 12, 24, 2, 1), give=False)
    assert len(started) == 2

    def worker(run_id):
        with app.app_context():
            try:
                while runs.run_chunk(database.session, run_id, DAYTIME):
                    database.session.commit()
                database.session.commit()
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker, args=(run_id,)) for run_id in started]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(codes_of(db, first.id).values()) == sum(codes_of(db, second.id).values()) == 30  # both gave
    used = dict(db.session.execute(select(MessageAllowance.member_id, MessageAllowance.used)
                                   .where(MessageAllowance.merchant_id == merchant.id)).all())
    assert set(used) == {m.id for m in members} and set(used.values()) == {1}
    told = sum(run.notices for cid in (first.id, second.id) for run in runs_of(db, cid))
    assert told == 30  # one message per member in the week, whichever campaign got there first
    capped = [t for cid in (first.id, second.id) for t in targets_of(db, cid) if t.reason == "capped"]
    assert len(capped) == 30


def test_does_the_holdout_get_nothing_and_the_report_show_the_uplift(db, make):
    merchant, owner, coupon = shop(db, make)
    for _ in range(200):
        make.member(merchant)
    row = one_off(db, owner, coupon, everyone(db, owner), holdout_percent=20)
    assert "留作对照组" in dry_run.preview(db.session, row, now=utc(2026, 12, 24, 2)).sentence
    tick(db, utc(2026, 12, 24, 2, 1))
    states = [t.state for t in targets_of(db, row.id)]
    held = states.count("holdout")
    assert 20 <= held <= 60 and states.count("rewarded") == 200 - held
    assert len(codes_of(db, row.id)) == 200 - held
    figures = report.of(db.session, merchant.id, row.id)
    assert figures.uplift is not None and figures.uplift.held_out == held
    assert figures.held_out == held and figures.codes_given == 200 - held
    assert report.rows(figures)[0] == ["活动", row.name]


def test_does_pausing_stop_the_next_chunk_and_resuming_finish_the_run(db, make, monkeypatch):
    merchant, owner, coupon = shop(db, make)
    for _ in range(10):
        make.member(merchant)
    row = one_off(db, owner, coupon, everyone(db, owner))
    monkeypatch.setattr(runs, "CHUNK", 3)
    monkeypatch.setattr(runs.job_queue, "enqueue", lambda *args, **kwargs: None)
    run_id = tick(db, utc(2026, 12, 24, 2, 1), give=False)[0]
    assert runs.run_chunk(db.session, run_id, DAYTIME)
    db.session.commit()
    setup.pause(db.session, owner, row.id)
    db.session.commit()
    assert runs.run_chunk(db.session, run_id, DAYTIME) is False
    assert sum(codes_of(db, row.id).values()) == 3
    runs.resume(db.session, owner, row.id)
    db.session.commit()
    while runs.run_chunk(db.session, run_id, DAYTIME):
        db.session.commit()
    db.session.commit()
    assert sum(codes_of(db, row.id).values()) == 10
    db.session.expire_all()
    assert db.session.get(Campaign, row.id).state == "ended"  # a one-off ends with its run


def test_does_a_member_entering_the_audience_get_the_reward_once(db, make):
    merchant, owner, coupon = shop(db, make)
    member = make.member(merchant)
    audience = everyone(db, owner, name="消费满千", spend_min=100000)
    row = campaign(db, owner, coupon, kind="audience_entry", schedule={"hour": 2}, audience_id=audience.id,
                   now=utc(2026, 12, 6))
    assert entry.check_member(db.session, merchant.id, member.id) == []
    member = db.session.get(Member, member.id)
    member.total_spend = 120000
    db.session.commit()
    assert entry.check_member(db.session, merchant.id, member.id) == [row.id]
    db.session.commit()
    assert entry.check_member(db.session, merchant.id, member.id) == []
    tick(db, utc(2026, 12, 7, 19))  # the nightly sweep: nothing twice
    assert codes_of(db, row.id) == {member.id: 1}


def test_is_another_merchants_campaign_or_audience_refused(db, make):
    merchant, owner, coupon = shop(db, make)
    other, other_owner, other_coupon = shop(db, make)
    theirs = one_off(db, other_owner, other_coupon, everyone(db, other_owner))
    with pytest.raises(NotFound):
        setup.pause(db.session, owner, theirs.id)
    with pytest.raises(NotFound):
        report.of(db.session, merchant.id, theirs.id)
    with pytest.raises(DomainError):
        setup.save(db.session, owner, None, name="借用", kind="one_off", schedule={"at": "2026-12-24T10:00"},
                   audience_id=everyone(db, other_owner, name="别人的").id,
                   rewards={"coupons": [{"template_id": coupon.id, "count": 1}]}, now=utc(2026, 12, 6))
    with pytest.raises(DomainError):
        setup.save(db.session, owner, None, name="借券", kind="birthday",
                   schedule={"mode": "days_before", "days_before": 1, "hour": 9},
                   rewards={"coupons": [{"template_id": other_coupon.id, "count": 1}]}, now=utc(2026, 12, 6))


@pytest.mark.parametrize("change, message", [
    ({"name": "a\x00b"}, "活动名称"),
    ({"budget_coupons": 0}, "优惠券总量上限"),
    ({"budget_points": "99999999999999999999"}, "积分总量上限"),
    ({"holdout_percent": 80}, "对照组比例"),
    ({"schedule": {"at": "2020-01-01T10:00"}}, "不能早于现在"),
    ({"audience_id": None}, "请选择活动人群"),
    ({"rewards": {}}, "请至少设置一项奖励"),
])
def test_is_bad_input_refused_with_a_clear_message_and_nothing_saved(db, make, change, message):
    merchant, owner, coupon = shop(db, make)
    values = dict(name="圣诞派券", kind="one_off", schedule={"at": "2026-12-24T10:00"},
                  audience_id=everyone(db, owner).id, rewards={"coupons": [{"template_id": coupon.id, "count": 1}]})
    db.session.commit()
    with pytest.raises(DomainError, match=message):
        setup.save(db.session, owner, None, now=utc(2026, 12, 6), **(values | change))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_does_an_empty_audience_run_give_nothing_and_a_one_off_end(db, make):
    merchant, owner, coupon = shop(db, make)
    row = one_off(db, owner, coupon, everyone(db, owner, name="没人", spend_min=10**9))
    assert dry_run.preview(db.session, row, now=utc(2026, 12, 24, 2)).sentence == "如果现在运行，没有会员符合条件"
    tick(db, utc(2026, 12, 24, 2, 1))
    db.session.expire_all()
    assert db.session.get(Campaign, row.id).state == "ended"
    assert [(r.targeted, r.state) for r in runs_of(db, row.id)] == [(0, "done")]


def test_can_only_an_owner_or_admin_change_campaigns(db, make):
    merchant, owner, coupon = shop(db, make)
    operator = make.staff(merchant, role="operator")
    with pytest.raises(PermissionDenied):
        setup.save(db.session, operator, None, name="x", kind="birthday", schedule={}, rewards={})
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 0
    assert db.session.scalar(select(func.count()).select_from(CouponCode)) == 0


def test_does_a_campaign_give_several_codes_each_within_the_members_limit(db, make):
    merchant, owner, coupon = shop(db, make, per_member_limit=2)
    members = [make.member(merchant) for _ in range(4)]
    row = one_off(db, owner, coupon, everyone(db, owner),
                  rewards={"coupons": [{"template_id": coupon.id, "count": 3}], "points": 20})
    tick(db, utc(2026, 12, 24, 2, 1))
    assert codes_of(db, row.id) == {m.id: 2 for m in members}
    codes = db.session.scalars(select(CouponCode.code).where(CouponCode.campaign_id == row.id)).all()
    assert len(set(codes)) == 8 and all(len(c) == 16 for c in codes)
    assert {db.session.get(Member, m.id).points_balance for m in members} == {20}
