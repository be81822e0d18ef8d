"""储值折上折: which rule a balance reaches, special periods replacing the everyday table, rule checks."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.balance_discount import Rule, check, describe, rate_for
from domain.errors import DomainError

EVERYDAY = [Rule(10000, 80), Rule(50000, 70)]
NEW_YEAR = [Rule(10000, 75, date(2031, 1, 1), date(2031, 1, 3))]


@pytest.mark.parametrize("balance, day, expected", [
    (9999, date(2030, 6, 1), None),
    (10000, date(2030, 6, 1), 80),
    (49999, date(2030, 6, 1), 80),
    (50000, date(2030, 6, 1), 70),
    (50000, date(2031, 1, 2), 75),  # the special period replaces the everyday table, even a better rule of it
    (9999, date(2031, 1, 2), None),
    (50000, date(2031, 1, 4), 70),
])
def test_which_discount_does_a_balance_earn_on_a_day(balance, day, expected):
    assert rate_for(balance, EVERYDAY + NEW_YEAR, day) == expected


@settings(max_examples=200, database=None)
@given(low=st.integers(0, 10**8), extra=st.integers(0, 10**8))
def test_does_more_balance_never_earn_a_smaller_discount(low, extra):
    day = date(2030, 6, 1)
    small, large = rate_for(low, EVERYDAY, day), rate_for(low + extra, EVERYDAY, day)
    assert small is None or (large is not None and large <= small)


@pytest.mark.parametrize("rule, message", [
    (Rule(0, 80), "余额门槛"),
    (Rule(100, 100), "折扣"),
    (Rule(100, 0), "折扣"),
    (Rule(100, 80, date(2031, 1, 1), None), "同时设置"),
    (Rule(100, 80, date(2031, 1, 5), date(2031, 1, 1)), "结束日期"),
])
def test_is_a_bad_rule_refused_with_the_reason(rule, message):
    with pytest.raises(DomainError, match=message):
        check(rule)


def test_does_a_rule_read_as_the_merchant_wrote_it():
    assert describe(Rule(10000, 80)) == "余额满 ¥100 享 8 折"
    assert describe(Rule(12050, 85, date(2031, 1, 1), date(2031, 1, 3))) == "余额满 ¥120.5 享 8.5 折（01-01 至 01-03）"
