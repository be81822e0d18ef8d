"""渠道分析's period and sort, without a database: what a merchant types becomes a readable period or the last 30
days with the reason; an unknown sort is the default one."""
from datetime import date

import pytest

from domain.channel_report import Figures, Period, default_period, period_of, sort_of

TODAY = date(2026, 12, 7)


def test_is_the_default_the_last_30_days_today_included():
    assert default_period(TODAY) == Period(date(2026, 11, 8), TODAY) and default_period(TODAY).days == 30
    assert period_of(None, None, TODAY) == (default_period(TODAY), None)


def test_is_a_readable_period_taken_as_asked():
    assert period_of(date(2026, 3, 1), date(2026, 3, 31), TODAY) == (Period(date(2026, 3, 1), date(2026, 3, 31)), None)


def test_does_one_missing_end_make_a_30_day_period():
    assert period_of(date(2026, 3, 1), None, TODAY)[0] == Period(date(2026, 3, 1), date(2026, 3, 30))
    assert period_of(None, date(2026, 3, 30), TODAY)[0] == Period(date(2026, 3, 1), date(2026, 3, 30))
    assert period_of(date(2026, 12, 1), None, TODAY)[0] == Period(date(2026, 12, 1), TODAY), "not past today"


@pytest.mark.parametrize("first, last, reason", [
    (date(2026, 3, 31), date(2026, 3, 1), "结束日期早于开始日期"),
    (date(1, 1, 1), date(9999, 12, 31), "日期超出范围"),
    (date(2020, 1, 1), date(2025, 1, 1), "一次最多查询 366 天"),
    (date(1, 1, 1), None, "日期超出范围"),
    (None, date(9999, 12, 31), "日期超出范围"),
])
def test_is_an_unusable_period_replaced_by_the_default_with_the_reason(first, last, reason):
    period, refusal = period_of(first, last, TODAY)
    assert period == default_period(TODAY) and reason in refusal


def test_is_an_unknown_sort_the_default():
    assert sort_of("money", "asc") == ("money", "asc")
    assert sort_of("__class__", "sideways") == ("joins", "desc")


def test_do_figures_add_up():
    total = Figures(joins=1, money=100).add(Figures(joins=2, topup_count=1))
    assert (total.joins, total.money, total.topup_count) == (3, 100, 1) and not total.is_empty()
    assert Figures().is_empty()
