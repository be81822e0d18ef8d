"""Campaign kinds run by the scheduler's tick against PostgreSQL: birthday once a year, dormant re-armed by a visit,
a holiday at local midnight, a one-off, idempotent ticks and catch-up."""
from datetime import date, timedelta

from models import Member
from services.audiences import saved
from services.audiences.filters import Filters
from services.coupons import templates as coupon_templates
from tests.integration.campaigns.support import campaign, codes_of, points_of, runs_of, shop, targets_of, tick, utc


def test_does_a_birthday_campaign_give_once_a_year_whatever_the_ticks(db, make):
    merchant, owner, coupon = shop(db, make)
    soon = make.member(merchant, birthday=date(1990, 12, 8))
    later = make.member(merchant, birthday=date(1985, 12, 20))
    make.member(merchant)  # no birthday
    row = campaign(db, owner, coupon, rewards={"coupons": [{"template_id": coupon.id, "count": 1}], "points": 100},
                   now=utc(2026, 12, 6, 0))
    tick(db, utc(2026, 12, 6, 2))  # 10:00 in Shanghai: the day's occasion is due
    tick(db, utc(2026, 12, 6, 2, 1))  # a second tick
    tick(db, utc(2026, 12, 7, 2))  # the next day: the same member is still in the window
    assert codes_of(db, row.id) == {soon.id: 1}
    assert points_of(db, soon.id) == 100
    assert [(r.occasion, r.targeted, r.rewarded, r.state) for r in runs_of(db, row.id)] == [
        ("2026-12-06", 1, 1, "done"), ("2026-12-07", 0, 0, "done")]
    tick(db, utc(2026, 12, 17, 2))  # three days before the later birthday
    assert codes_of(db, row.id) == {soon.id: 1, later.id: 1}


def test_does_a_birthday_added_late_inside_the_window_still_get_the_gift(db, make):
    merchant, owner, coupon = shop(db, make)
    member = make.member(merchant)
    row = campaign(db, owner, coupon, now=utc(2026, 12, 6, 0))
    tick(db, utc(2026, 12, 6, 2))
    member = db.session.get(Member, member.id)
    member.birthday, member.birthday_month = date(2000, 12, 7), 12  # added the day after the run
    db.session.commit()
    tick(db, utc(2026, 12, 7, 2))
    assert codes_of(db, row.id) == {member.id: 1}


def test_does_a_scheduler_down_for_two_days_catch_up_and_skip_nobody(db, make):
    merchant, owner, coupon = shop(db, make)
    first = make.member(merchant, birthday=date(1990, 12, 9))
    second = make.member(merchant, birthday=date(1990, 12, 10))
    row = campaign(db, owner, coupon, schedule={"mode": "days_before", "days_before": 0, "hour": 9},
                   now=utc(2026, 12, 8, 0))
    tick(db, utc(2026, 12, 8, 2))
    tick(db, utc(2026, 12, 10, 3))  # down on the 9th
    assert codes_of(db, row.id) == {first.id: 1, second.id: 1}
    assert [r.occasion for r in runs_of(db, row.id)] == ["2026-12-08", "2026-12-09", "2026-12-10"]


def test_does_a_29_february_birthday_get_its_gift_on_28_february_in_2027(db, make):
    merchant, owner, coupon = shop(db, make)
    leapling = make.member(merchant, birthday=date(2000, 2, 29))
    row = campaign(db, owner, coupon, schedule={"mode": "days_before", "days_before": 0, "hour": 9},
                   now=utc(2027, 2, 27, 0))
    tick(db, utc(2027, 2, 27, 2))
    assert codes_of(db, row.id) == {}
    tick(db, utc(2027, 2, 28, 2))
    assert codes_of(db, row.id) == {leapling.id: 1}
    assert targets_of(db, row.id)[0].period == "b2027"


def test_does_a_dormant_member_get_woken_once_a_spell_and_again_after_a_visit(db, make):
    merchant, owner, coupon = shop(db, make)
    sleeper = make.member(merchant)
    sleeper.last_visit_at = utc(2026, 10, 1, 4)
    db.session.commit()
    row = campaign(db, owner, coupon, kind="dormant", schedule={"days": 30, "hour": 9}, now=utc(2026, 12, 6, 0))
    tick(db, utc(2026, 12, 6, 2))
    tick(db, utc(2026, 12, 7, 2))
    assert codes_of(db, row.id) == {sleeper.id: 1}
    sleeper = db.session.get(Member, sleeper.id)
    sleeper.last_visit_at = utc(2026, 12, 8, 4)  # came back: a new spell starts
    db.session.commit()
    tick(db, utc(2027, 1, 6, 2))  # 29 days later: not dormant yet
    assert codes_of(db, row.id) == {sleeper.id: 1}
    tick(db, utc(2027, 1, 8, 2))
    assert codes_of(db, row.id) == {sleeper.id: 2}


def test_does_a_dormant_second_step_give_the_bigger_coupon_only_to_those_still_away(db, make):
    merchant, owner, coupon = shop(db, make)
    bigger = coupon_templates.save_template(db.session, owner, None, kind="cash", title="回归大礼", amount_off=3000,
                                            validity_mode="relative", valid_days=30)
    away, back = make.member(merchant), make.member(merchant)
    for m in (away, back):
        m.last_visit_at = utc(2026, 10, 1, 4)
    db.session.commit()
    row = campaign(db, owner, coupon, kind="dormant", schedule={"days": 30, "hour": 9, "second_after_days": 10},
                   second_rewards={"coupons": [{"template_id": bigger.id, "count": 1}]}, now=utc(2026, 11, 5, 0))
    tick(db, utc(2026, 11, 5, 2))
    back = db.session.get(Member, back.id)
    back.last_visit_at = utc(2026, 11, 6, 4)
    db.session.commit()
    tick(db, utc(2026, 11, 16, 2))
    assert codes_of(db, row.id) == {away.id: 2, back.id: 1}


def test_does_a_holiday_starting_at_local_midnight_run_at_16_utc_the_day_before(db, make):
    merchant, owner, coupon = shop(db, make)
    members = [make.member(merchant) for _ in range(3)]
    audience = saved.save(db.session, owner, None, name="全部会员", filters=Filters())
    ranges = [{"name": "春节", "starts": "2027-02-06", "ends": "2027-02-12"}]
    row = campaign(db, owner, coupon, kind="holiday", schedule={"ranges": ranges, "hour": 0},
                   audience_id=audience.id, now=utc(2027, 2, 4, 0))
    tick(db, utc(2027, 2, 5, 15, 59))
    assert codes_of(db, row.id) == {}
    tick(db, utc(2027, 2, 5, 16, 0))
    tick(db, utc(2027, 2, 6, 16, 0))  # later in the range: nothing twice
    assert codes_of(db, row.id) == {m.id: 1 for m in members}
    assert len(runs_of(db, row.id)) == 1


def test_does_a_birthday_window_across_the_year_end_count_the_new_year_as_its_period(db, make):
    merchant, owner, coupon = shop(db, make)
    new_year = make.member(merchant, birthday=date(1990, 1, 2))
    year_end = make.member(merchant, birthday=date(1990, 12, 31))
    row = campaign(db, owner, coupon, schedule={"mode": "days_before", "days_before": 5, "hour": 9},
                   now=utc(2026, 12, 28, 0))
    tick(db, utc(2026, 12, 29, 2))  # 29 December: both birthdays are inside the next 5 days
    periods = {t.member_id: t.period for t in targets_of(db, row.id)}
    assert periods == {year_end.id: "b2026", new_year.id: "b2027"}
    tick(db, utc(2027, 1, 1, 2))  # the new year's runs give neither again
    assert codes_of(db, row.id) == {year_end.id: 1, new_year.id: 1}


def test_does_a_recurring_member_day_give_once_each_month(db, make):
    merchant, owner, coupon = shop(db, make)
    member = make.member(merchant)
    audience = saved.save(db.session, owner, None, name="全部会员", filters=Filters())
    row = campaign(db, owner, coupon, kind="recurring", schedule={"every": "month", "day": 8, "hour": 10},
                   audience_id=audience.id, now=utc(2026, 12, 1))
    tick(db, utc(2026, 12, 8, 1))  # 09:00 local: not yet
    assert codes_of(db, row.id) == {}
    tick(db, utc(2026, 12, 8, 2, 30))
    tick(db, utc(2026, 12, 8, 3))
    tick(db, utc(2027, 1, 8, 2, 30))
    assert codes_of(db, row.id) == {member.id: 2}
    assert [r.occasion for r in runs_of(db, row.id)] == ["2026-12-08", "2027-01-08"]
