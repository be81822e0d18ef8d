"""Points lots: when a lot expires, and which lots a spend draws from."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import Conflict, DomainError, InsufficientPoints
from domain.points import (
    EXPIRY_DAYS, EXPIRY_END_OF_YEAR_AFTER_NEXT, EXPIRY_LABELS, EXPIRY_MODES, EXPIRY_NEVER, Lot, apply_multiplier,
    consumption_order, expiry_for, plan_draw,
)

property_test = settings(database=None, deadline=None, max_examples=300)

SH = "Asia/Shanghai"
UTC = timezone.utc


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def shanghai(*args):
    return datetime(*args, tzinfo=ZoneInfo(SH))


# --- expiry_for ------------------------------------------------------------------------------

def test_does_a_never_expiring_lot_have_no_expiry():
    assert expiry_for(utc(2026, 3, 1, 2), EXPIRY_NEVER, None, SH) is None
    assert expiry_for(utc(2026, 3, 1, 2), EXPIRY_NEVER, 30, SH) is None


@pytest.mark.parametrize(
    "earned_at, days, expires_at",
    [
        # Earned 1 Mar local, 30 days: usable through 31 Mar, gone at local midnight starting 1 Apr.
        (utc(2026, 3, 1, 2, 0), 30, utc(2026, 3, 31, 16, 0)),
        # 15:59Z on 1 Mar is still 1 Mar 23:59 in Shanghai.
        (utc(2026, 3, 1, 15, 59), 30, utc(2026, 3, 31, 16, 0)),
        # 16:00Z on 1 Mar is already 2 Mar 00:00 in Shanghai: one more day.
        (utc(2026, 3, 1, 16, 0), 30, utc(2026, 4, 1, 16, 0)),
        # 1 day: earned 1 Mar, usable through 2 Mar.
        (utc(2026, 3, 1, 2, 0), 1, shanghai(2026, 3, 3).astimezone(UTC)),
        # Across a leap day.
        (utc(2028, 2, 28, 4, 0), 1, shanghai(2028, 3, 1).astimezone(UTC)),
        # Across the year end, earned in the last local minute of the year.
        (utc(2026, 12, 31, 15, 59), 1, shanghai(2027, 1, 2).astimezone(UTC)),
        (utc(2026, 1, 1, 0, 0), 365, shanghai(2027, 1, 2).astimezone(UTC)),
    ],
)
def test_when_does_a_lot_earned_in_shanghai_expire_in_days_mode(earned_at, days, expires_at):
    assert expiry_for(earned_at, EXPIRY_DAYS, days, SH) == expires_at


@pytest.mark.parametrize(
    "earned_at, expires_at",
    [
        # Earned any day of local 2026 -> usable through 31 Dec 2028 -> expires 2029-01-01 00:00 local.
        (utc(2026, 6, 15, 4, 0), utc(2028, 12, 31, 16, 0)),
        (utc(2025, 12, 31, 16, 0), utc(2028, 12, 31, 16, 0)),  # 2026-01-01 00:00 local
        (utc(2025, 12, 31, 15, 59), utc(2027, 12, 31, 16, 0)),  # still 2025 locally
        (utc(2026, 12, 31, 15, 59), utc(2028, 12, 31, 16, 0)),  # 23:59 on 31 Dec 2026 local
        # 17:00Z on 31 Dec 2026 is 01:00 on 1 Jan 2027 locally -> expires 2030-01-01 00:00 local.
        (utc(2026, 12, 31, 17, 0), utc(2029, 12, 31, 16, 0)),
    ],
)
def test_when_does_a_lot_expire_at_the_end_of_the_year_after_next(earned_at, expires_at):
    assert expiry_for(earned_at, EXPIRY_END_OF_YEAR_AFTER_NEXT, None, SH) == expires_at


def test_is_the_year_end_expiry_a_shanghai_midnight_on_new_years_day():
    expires = expiry_for(utc(2026, 12, 31, 17, 0), EXPIRY_END_OF_YEAR_AFTER_NEXT, None, SH)
    assert expires.astimezone(ZoneInfo(SH)) == shanghai(2030, 1, 1)
    assert expires.utcoffset() == timedelta(0)


def test_does_expiry_follow_the_merchants_own_timezone_across_daylight_saving():
    # New York springs forward on 8 Mar 2026: local midnight moves from 05:00Z to 04:00Z.
    ny = "America/New_York"
    assert expiry_for(utc(2026, 3, 1, 12), EXPIRY_DAYS, 30, ny) == utc(2026, 4, 1, 4)
    assert expiry_for(utc(2026, 3, 1, 12), EXPIRY_DAYS, 5, ny) == utc(2026, 3, 7, 5)
    assert expiry_for(utc(2026, 3, 1, 12), EXPIRY_DAYS, 30, "UTC") == utc(2026, 4, 1)


@pytest.mark.parametrize("days", [None, 0, -1, -30])
def test_is_days_mode_without_a_positive_day_count_refused(days):
    with pytest.raises(DomainError):
        expiry_for(utc(2026, 3, 1), EXPIRY_DAYS, days, SH)


@pytest.mark.parametrize("mode", ["weekly", "", None, "NEVER"])
def test_is_an_unknown_expiry_mode_refused(mode):
    with pytest.raises(DomainError) as info:
        expiry_for(utc(2026, 3, 1), mode, 30, SH)
    assert info.value.details == {"mode": mode}


def test_does_every_expiry_mode_have_a_label():
    assert set(EXPIRY_LABELS) == set(EXPIRY_MODES)


@property_test
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=3650),
    st.sampled_from([SH, "UTC", "America/New_York", "Europe/London"]),
)
def test_is_a_days_lot_usable_through_exactly_the_nth_local_day_after_earning(earned_at, days, tz_name):
    zone = ZoneInfo(tz_name)
    expires = expiry_for(earned_at, EXPIRY_DAYS, days, tz_name)
    earned_day = earned_at.astimezone(zone).date()
    local_expiry = expires.astimezone(zone)
    assert expires > earned_at
    assert local_expiry.time() == datetime.min.time()  # a local midnight
    assert local_expiry.date() == earned_day + timedelta(days=days + 1)
    assert (expires - timedelta(microseconds=1)).astimezone(zone).date() == earned_day + timedelta(days=days)


@property_test
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_is_a_year_end_lot_always_usable_for_two_full_calendar_years_after_the_earning_year(earned_at):
    expires = expiry_for(earned_at, EXPIRY_END_OF_YEAR_AFTER_NEXT, None, SH)
    local_year = earned_at.astimezone(ZoneInfo(SH)).year
    assert expires.astimezone(ZoneInfo(SH)) == shanghai(local_year + 3, 1, 1)


# --- plan_draw -------------------------------------------------------------------------------

NOW = utc(2026, 6, 1, 12)
CREATED = utc(2026, 1, 1)


def lot(id, remaining, expires_at=None, created_at=CREATED):
    return Lot(id=id, remaining=remaining, expires_at=expires_at, created_at=created_at)


def test_does_a_spend_draw_from_the_soonest_expiring_lot_first():
    lots = [lot(1, 100, utc(2027, 1, 1)), lot(2, 100, utc(2026, 7, 1)), lot(3, 100, utc(2026, 12, 1))]
    assert plan_draw(lots, 150, NOW) == [(2, 100), (3, 50)]


def test_are_never_expiring_lots_drawn_last():
    lots = [lot(1, 100, None, created_at=utc(2020, 1, 1)), lot(2, 50, utc(2099, 1, 1))]
    assert plan_draw(lots, 120, NOW) == [(2, 50), (1, 70)]


def test_are_expired_lots_ignored_including_one_expiring_this_very_instant():
    lots = [lot(1, 500, utc(2026, 5, 1)), lot(2, 500, NOW), lot(3, 40, NOW + timedelta(microseconds=1)), lot(4, 60)]
    assert plan_draw(lots, 100, NOW) == [(3, 40), (4, 60)]


def test_are_empty_lots_skipped():
    lots = [lot(1, 0, utc(2026, 6, 2)), lot(2, 10, utc(2026, 6, 3))]
    assert plan_draw(lots, 10, NOW) == [(2, 10)]


def test_among_lots_expiring_together_is_the_older_one_drawn_first_then_the_lower_id():
    same = utc(2026, 9, 1)
    lots = [
        lot(7, 10, same, created_at=utc(2026, 3, 1)),
        lot(9, 10, same, created_at=utc(2026, 2, 1)),
        lot(8, 10, same, created_at=utc(2026, 3, 1)),
    ]
    assert plan_draw(lots, 30, NOW) == [(9, 10), (7, 10), (8, 10)]


def test_among_never_expiring_lots_is_the_oldest_drawn_first():
    lots = [lot(1, 10, None, created_at=utc(2026, 3, 1)), lot(2, 10, None, created_at=utc(2025, 3, 1))]
    assert plan_draw(lots, 15, NOW) == [(2, 10), (1, 5)]


def test_does_the_plan_stop_at_the_lot_that_completes_the_amount():
    lots = [lot(1, 100, utc(2026, 7, 1)), lot(2, 100, utc(2026, 8, 1)), lot(3, 100)]
    assert plan_draw(lots, 100, NOW) == [(1, 100)]
    assert plan_draw(lots, 1, NOW) == [(1, 1)]


def test_is_a_spend_beyond_the_live_points_refused_with_what_is_available_and_needed():
    lots = [lot(1, 1000, utc(2026, 1, 1)), lot(2, 30, utc(2026, 12, 1)), lot(3, 20)]
    with pytest.raises(InsufficientPoints) as info:
        plan_draw(lots, 51, NOW)
    error = info.value
    assert error.details == {"available": 50, "needed": 51}
    assert isinstance(error, Conflict) and error.http_status == 409 and error.code == "insufficient_points"
    assert "50" in error.message and "51" in error.message


def test_is_a_spend_from_no_lots_refused_as_insufficient():
    with pytest.raises(InsufficientPoints) as info:
        plan_draw([], 1, NOW)
    assert info.value.details == {"available": 0, "needed": 1}


@pytest.mark.parametrize("amount", [0, -1])
def test_is_a_zero_or_negative_spend_refused_as_invalid_not_as_insufficient(amount):
    with pytest.raises(DomainError) as info:
        plan_draw([lot(1, 10)], amount, NOW)
    assert not isinstance(info.value, InsufficientPoints)


def test_does_the_consumption_order_put_soonest_first_and_never_last():
    lots = [lot(1, 1), lot(2, 1, utc(2027, 1, 1)), lot(3, 1, utc(2026, 7, 1))]
    assert [x.id for x in consumption_order(lots)] == [3, 2, 1]


lot_strategy = st.builds(
    Lot,
    id=st.integers(0, 10**6),
    remaining=st.integers(0, 1000),
    expires_at=st.one_of(
        st.none(),
        st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)),
    ),
    created_at=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)),
)
unique_lots = st.lists(lot_strategy, max_size=12, unique_by=lambda x: x.id)


def is_live(x):
    return x.remaining > 0 and (x.expires_at is None or x.expires_at > NOW)


@property_test
@given(unique_lots, st.data())
def test_does_a_plan_sum_to_the_amount_and_never_exceed_any_lots_remaining(lots, data):
    available = sum(x.remaining for x in lots if is_live(x))
    assume(available > 0)
    amount = data.draw(st.integers(1, available))
    plan = plan_draw(lots, amount, NOW)
    by_id = {x.id: x for x in lots}
    assert sum(points for _, points in plan) == amount
    assert len({lot_id for lot_id, _ in plan}) == len(plan)
    for lot_id, points in plan:
        assert 0 < points <= by_id[lot_id].remaining
        assert is_live(by_id[lot_id])
    # Greedy in consumption order: every lot but the last is drained, and untouched live lots come later.
    assert all(points == by_id[lot_id].remaining for lot_id, points in plan[:-1])
    ordered = [x.id for x in consumption_order([x for x in lots if is_live(x)])]
    assert [lot_id for lot_id, _ in plan] == ordered[: len(plan)]


@property_test
@given(unique_lots, st.integers(1, 100))
def test_is_every_spend_beyond_the_live_total_refused_with_the_exact_figures(lots, excess):
    available = sum(x.remaining for x in lots if is_live(x))
    with pytest.raises(InsufficientPoints) as info:
        plan_draw(lots, available + excess, NOW)
    assert info.value.details == {"available": available, "needed": available + excess}


# --- apply_multiplier ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "points, tenths, expected",
    [(100, 10, 100), (100, 15, 150), (7, 15, 10), (3, 5, 1), (1, 19, 1), (0, 20, 0), (99, 0, 0), (33, 25, 82)],
)
def test_is_a_multiplied_award_rounded_down_to_whole_points(points, tenths, expected):
    assert apply_multiplier(points, tenths) == expected
