"""The schedule rules of marketing campaigns: the holiday calendar, checking schedules, the occasions a scheduler
run handles (catch-up, double runs, the merchant's timezone), birthday windows, dormant cut-offs, descriptions."""
from datetime import date, datetime, timedelta, timezone

import pytest

from domain import campaigns
from domain.errors import DomainError

UTC = timezone.utc
SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, Sunday 2026-12-06


def parse(kind, values, now=NOW):
    return campaigns.parse_schedule(kind, values, tz_name=SHANGHAI, now=now)


def due(kind, schedule, since, now):
    return campaigns.occasions_due(kind, schedule, tz_name=SHANGHAI, since=since, now=now)


# --- the calendar ---

def test_are_the_2027_lunar_holidays_on_their_official_days():
    days = {holiday.key: (holiday.name, holiday.starts, holiday.ends) for holiday in campaigns.HOLIDAYS}
    assert days["spring-2027"] == ("春节", date(2027, 2, 6), date(2027, 2, 12))
    assert days["lantern-2027"][1] == date(2027, 2, 20)
    assert days["dragonboat-2027"][1] == date(2027, 6, 9)
    assert days["qixi-2027"][1] == date(2027, 8, 8)
    assert days["midautumn-2027"][1] == date(2027, 9, 15)
    assert days["chongyang-2027"][1] == date(2027, 10, 8)
    assert days["mother-2027"][1] == date(2027, 5, 9) and days["father-2027"][1] == date(2027, 6, 20)
    assert days["national-2027"][1:] == (date(2027, 10, 1), date(2027, 10, 7))


def test_does_the_calendar_cover_december_2026_to_december_2027_in_order():
    starts = [holiday.starts for holiday in campaigns.HOLIDAYS]
    assert starts == sorted(starts)
    assert starts[0] <= date(2026, 12, 12) and starts[-1] == date(2027, 12, 25)
    assert all(len(holiday.key) <= 20 and holiday.key.isascii() for holiday in campaigns.HOLIDAYS)


def test_are_holidays_already_over_left_out():
    left = campaigns.holidays_from(date(2027, 2, 10))
    assert left[0].key == "spring-2027"  # still running on the 10th
    assert "newyear-2027" not in {holiday.key for holiday in left}


# --- checking schedules ---

def test_are_form_strings_and_json_ints_both_accepted():
    form = parse("birthday", {"mode": "days_before", "days_before": " 3 ", "hour": "9"})
    assert form == parse("birthday", {"mode": "days_before", "days_before": 3, "hour": 9})
    assert form == {"mode": "days_before", "days_before": 3, "hour": 9}
    assert parse("dormant", {"days": "30", "hour": 9, "second_after_days": ""}) == {
        "days": 30, "hour": 9, "second_after_days": None}
    assert parse("recurring", {"every": "month", "day": "31", "hour": "10"}) == {"every": "month", "day": 31,
                                                                               "hour": 10}


def test_is_a_holiday_schedule_cleaned_and_sorted():
    schedule = parse("holiday", {"hour": 0, "ranges": [
        {"name": " 元宵节 ", "starts": "2027-02-20", "ends": "2027-02-20"},
        {"name": "春节", "starts": "2027-02-06", "ends": "2027-02-12"}]})
    assert schedule == {"hour": 0, "ranges": [{"name": "春节", "starts": "2027-02-06", "ends": "2027-02-12"},
                                              {"name": "元宵节", "starts": "2027-02-20", "ends": "2027-02-20"}]}


def one_range(starts="2027-02-06", ends="2027-02-12", name="春节"):
    return {"name": name, "starts": starts, "ends": ends}


@pytest.mark.parametrize("kind, values, message", [
    ("birthday", {"mode": "days_before", "days_before": "3\x00", "hour": 9}, "提前天数不能包含控制字符"),
    ("birthday", {"mode": "days_before", "days_before": 3, "hour": "99999999999999999999"}, "发送时间"),
    ("birthday", {"mode": "days_before", "days_before": 3, "hour": 99999999999999999999}, "发送时间"),
    ("birthday", {"mode": "days_before", "days_before": 61, "hour": 9}, "提前天数须为 0 到 60"),
    ("birthday", {"mode": "days_before", "days_before": 3.5, "hour": 9}, "提前天数"),
    ("birthday", {"mode": "days_before", "days_before": True, "hour": 9}, "提前天数"),
    ("birthday", {"mode": "weekly", "hour": 9}, "生日发放方式"),
    ("birthday", {"mode": "month_first"}, "请填写发送时间"),
    ("dormant", {"days": "6", "hour": 9}, "未到店天数须为 7 到 730"),
    ("dormant", {"days": 30, "hour": 9, "second_after_days": [15]}, "第二步间隔天数"),
    ("holiday", {"hour": 0, "ranges": [one_range()] * 11}, "最多 10 段"),
    ("holiday", {"hour": 0, "ranges": []}, "请至少填写一段"),
    ("holiday", {"hour": 0, "ranges": "春节"}, "请至少填写一段"),
    ("holiday", {"hour": 0, "ranges": [one_range("2027-02-12", "2027-02-06")]}, "结束日期不能早于开始日期"),
    ("holiday", {"hour": 0, "ranges": [one_range("2026-11-01", "2026-11-11")]}, "日期不能早于今天"),
    ("holiday", {"hour": 0, "ranges": [one_range("2027-01-01", "2027-02-01")]}, "最多 31 天"),
    ("holiday", {"hour": 0, "ranges": [one_range("2027-02-30", "2027-03-01")]}, "格式应为 YYYY-MM-DD"),
    ("holiday", {"hour": 0, "ranges": [one_range(name="春\x00节")]}, "控制字符"),
    ("holiday", {"hour": 0, "ranges": [one_range(name="节" * 21)]}, "最多 20 个字"),
    ("holiday", {"hour": 0, "ranges": [one_range(), one_range("2027-02-10", "2027-02-14", "情人节")]}, "重叠"),
    ("one_off", {"at": "2026-12-06T11:59"}, "时间不能早于现在"),
    ("one_off", {"at": "0001-01-01T00:00"}, "时间不能早于现在"),
    ("one_off", {"at": "2026-12-24T18:00\x00"}, "控制字符"),
    ("one_off", {"at": "2026-12-24T25:00"}, "格式应为"),
    ("one_off", {"at": 20261224}, "请填写发送时间"),
    ("recurring", {"every": "week", "day": 7, "hour": 10}, "每周哪天须为 0 到 6"),
    ("recurring", {"every": "month", "day": 0, "hour": 10}, "每月几日须为 1 到 31"),
    ("recurring", {"every": "day", "day": 1, "hour": 10}, "周期不是可选的值"),
    ("audience_entry", {"hour": 24}, "发送时间（点）须为 0 到 23"),
    ("lottery", {"hour": 9}, "未知的活动类型"),
    ("birthday", ["hour", 9], "格式不正确"),
])
def test_is_a_bad_schedule_refused_with_a_message_naming_the_field(kind, values, message):
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(kind, values)


def test_is_a_one_off_in_the_merchants_future_accepted_and_one_in_its_past_refused():
    assert parse("one_off", {"at": "2026-12-06T12:01"}) == {"at": "2026-12-06T12:01"}  # 04:01 UTC
    with pytest.raises(DomainError, match="时间不能早于现在"):
        parse("one_off", {"at": "2026-12-06T12:00"})  # exactly now is not the future


# --- occasions ---

def test_does_a_holiday_starting_at_midnight_in_shanghai_fall_due_at_16_utc_the_day_before():
    schedule = {"hour": 0, "ranges": [{"name": "春节", "starts": "2027-02-06", "ends": "2027-02-12"}]}
    opens = datetime(2027, 2, 5, 16, 0, tzinfo=UTC)
    assert campaigns.next_due("holiday", schedule, tz_name=SHANGHAI, after=NOW) == opens
    [occasion] = due("holiday", schedule, opens - timedelta(minutes=5), opens)
    assert occasion == campaigns.Occasion("h:2027-02-06-2027-02-12", opens, date(2027, 2, 6))
    assert due("holiday", schedule, opens - timedelta(minutes=10), opens - timedelta(minutes=5)) == []


def test_is_a_holiday_switched_on_mid_range_still_due_and_not_after_it_ends():
    schedule = {"hour": 9, "ranges": [{"name": "元宵节", "starts": "2027-02-20", "ends": "2027-02-20"}]}
    noon = datetime(2027, 2, 20, 4, 0, tzinfo=UTC)
    [occasion] = due("holiday", schedule, noon - timedelta(hours=1), noon)  # its 9:00 had passed at 11:00
    assert occasion == campaigns.Occasion("h:2027-02-20", noon - timedelta(hours=1), date(2027, 2, 20))
    assert due("holiday", schedule, noon - timedelta(hours=1), noon) == [occasion]
    midnight = datetime(2027, 2, 20, 16, 0, tzinfo=UTC)  # the 21st begins in Shanghai
    assert due("holiday", schedule, midnight, midnight + timedelta(minutes=5)) == []


def test_does_catch_up_after_three_days_down_yield_three_daily_occasions():
    schedule = {"mode": "days_before", "days_before": 3, "hour": 9}
    now = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # 10:00 on the 9th
    found = due("birthday", schedule, now - timedelta(days=3), now)
    assert [occasion.key for occasion in found] == ["2026-12-07", "2026-12-08", "2026-12-09"]
    assert found[0].due_at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_is_catch_up_never_more_than_31_days():
    for kind, schedule in (("audience_entry", {"hour": 2}), ("recurring", {"every": "week", "day": 0, "hour": 2})):
        found = due(kind, schedule, NOW - timedelta(days=400), NOW)
        assert 0 < len(found) <= 31
        assert found[0].due_at > NOW - timedelta(days=31)
    daily = due("audience_entry", {"hour": 2}, NOW - timedelta(days=400), NOW)
    assert len(daily) == 31
    new_york = campaigns.occasions_due("audience_entry", {"hour": 2}, tz_name="America/New_York",
                                       since=None, now=datetime(2027, 3, 15, 12, tzinfo=UTC))
    assert len(new_york) == 1


def test_does_a_double_evaluation_over_the_same_window_return_the_same_keys():
    schedule = {"days": 30, "hour": 9, "second_after_days": 15}
    since = NOW - timedelta(days=2)
    first = due("dormant", schedule, since, NOW)
    assert [occasion.key for occasion in first] == ["2026-12-05", "2026-12-05:2", "2026-12-06", "2026-12-06:2"]
    assert [occasion.step for occasion in first] == [1, 2, 1, 2]
    assert due("dormant", schedule, since, NOW) == first


def test_is_todays_occasion_due_when_a_campaign_is_switched_on_after_its_hour():
    assert [o.key for o in due("audience_entry", {"hour": 9}, None, NOW)] == ["2026-12-06"]
    assert due("audience_entry", {"hour": 13}, None, NOW)[0].key == "2026-12-05"


def test_does_a_month_day_31_run_on_the_last_day_of_february():
    schedule = {"every": "month", "day": 31, "hour": 10}
    now = datetime(2027, 3, 31, 3, 0, tzinfo=UTC)
    assert [o.key for o in due("recurring", schedule, now - timedelta(days=31), now)] == ["2027-03-31"]
    now = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
    assert [o.key for o in due("recurring", schedule, now - timedelta(days=31), now)] == ["2027-01-31", "2027-02-28"]
    after = datetime(2027, 2, 1, tzinfo=UTC)
    assert campaigns.next_due("recurring", schedule, tz_name=SHANGHAI, after=after) == datetime(
        2027, 2, 28, 2, 0, tzinfo=UTC)


def test_does_a_weekly_campaign_run_on_its_weekday_only():
    schedule = {"every": "week", "day": 0, "hour": 10}
    found = due("recurring", schedule, NOW - timedelta(days=14), NOW)
    assert [o.key for o in found] == ["2026-11-23", "2026-11-30"]  # Mondays


def test_is_a_one_off_due_once_and_then_never_again():
    schedule = parse("one_off", {"at": "2026-12-24T18:00"})
    at = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert due("one_off", schedule, at - timedelta(minutes=1), at)[0].key == "once"
    assert due("one_off", schedule, at, at + timedelta(minutes=1)) == []
    assert campaigns.next_due("one_off", schedule, tz_name=SHANGHAI, after=at) is None


# --- birthdays, dormant members, weeks ---

def test_does_a_birthday_window_cross_the_year_end():
    found = campaigns.birthday_window(date(2026, 12, 30), {"mode": "days_before", "days_before": 5, "hour": 9})
    assert found == [(date(2026, 12, 30), 12, 30), (date(2026, 12, 31), 12, 31), (date(2027, 1, 1), 1, 1),
                     (date(2027, 1, 2), 1, 2), (date(2027, 1, 3), 1, 3), (date(2027, 1, 4), 1, 4)]


def test_is_a_29_february_birthday_kept_on_the_28th_in_2027_and_the_29th_in_2028():
    schedule = {"mode": "days_before", "days_before": 1, "hour": 9}
    in_2027 = campaigns.birthday_window(date(2027, 2, 27), schedule)
    assert in_2027 == [(date(2027, 2, 27), 2, 27), (date(2027, 2, 28), 2, 28), (date(2027, 2, 28), 2, 29)]
    in_2028 = campaigns.birthday_window(date(2028, 2, 28), schedule)
    assert in_2028 == [(date(2028, 2, 28), 2, 28), (date(2028, 2, 29), 2, 29)]


def test_does_month_first_celebrate_every_february_birthday_including_the_29th():
    schedule = {"mode": "month_first", "hour": 9}
    in_2027 = campaigns.birthday_window(date(2027, 2, 17), schedule)
    assert {occurrence for occurrence, _, _ in in_2027} == {date(2027, 2, 1)}
    assert [day for _, _, day in in_2027] == list(range(1, 30))
    assert [day for _, _, day in campaigns.birthday_window(date(2028, 2, 1), schedule)] == list(range(1, 30))
    assert len(campaigns.birthday_window(date(2027, 4, 30), schedule)) == 30


def test_is_the_dormant_cutoff_local_midnight_days_ago():
    assert campaigns.dormant_cutoff(date(2026, 12, 31), 30, SHANGHAI) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert campaigns.second_cutoff(date(2026, 12, 31), 30, 15, SHANGHAI) == datetime(2026, 11, 15, 16, tzinfo=UTC)
    assert campaigns.period_of_spell(date(2026, 10, 3)) == "d:2026-10-03"


def test_is_the_week_the_local_monday():
    sunday_night_utc = datetime(2026, 12, 6, 16, 30, tzinfo=UTC)  # already Monday 00:30 in Shanghai
    assert campaigns.week_of(sunday_night_utc, SHANGHAI) == "2026-12-07"
    assert campaigns.week_of(NOW, SHANGHAI) == "2026-11-30"


@pytest.mark.parametrize("kind, schedule, text", [
    ("birthday", {"mode": "days_before", "days_before": 3, "hour": 9}, "生日前 3 天 9:00"),
    ("birthday", {"mode": "days_before", "days_before": 0, "hour": 9}, "生日当天 9:00"),
    ("birthday", {"mode": "month_first", "hour": 9}, "生日当月 1 日 9:00"),
    ("dormant", {"days": 30, "hour": 9, "second_after_days": 15}, "连续 30 天未到店，9:00；再过 15 天仍未到店发第二步"),
    ("dormant", {"days": 30, "hour": 9, "second_after_days": None}, "连续 30 天未到店，9:00"),
    ("holiday", {"hour": 0, "ranges": [{"name": "春节", "starts": "2027-02-05", "ends": "2027-02-11"}]},
     "春节 2027-02-05 至 2027-02-11 0:00"),
    ("one_off", {"at": "2026-12-24T18:00"}, "2026-12-24 18:00"),
    ("recurring", {"every": "month", "day": 1, "hour": 10}, "每月 1 日 10:00"),
    ("recurring", {"every": "week", "day": 0, "hour": 10}, "每周一 10:00"),
    ("audience_entry", {"hour": 2}, "进入人群后立即发放（每晚 2:00 复查）"),
])
def test_does_the_back_office_read_a_short_sentence(kind, schedule, text):
    assert campaigns.describe_schedule(kind, schedule) == text
    assert campaigns.KIND_LABELS[kind]
