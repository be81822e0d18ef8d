"""Coupon rules with no database: the state machine, codes, validity windows and usable hours."""
from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import coupons as rules
from domain.errors import Conflict, DomainError

ALLOWED = {
    ("available", "used"), ("available", "expired"), ("available", "transferred"), ("available", "voided"),
    ("used", "available"),
}


@pytest.mark.parametrize("current", rules.STATES)
@pytest.mark.parametrize("target", rules.STATES)
def test_which_state_changes_may_a_code_make(current, target):
    if (current, target) in ALLOWED:
        assert rules.move(current, target) == target
    else:
        with pytest.raises(Conflict):
            rules.move(current, target)


def test_is_a_new_code_eighty_bits_of_unambiguous_symbols():
    codes = {rules.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 16 and set(c) <= set(rules.ALPHABET) for c in codes)
    assert len(rules.ALPHABET) ** rules.CODE_LENGTH >= 2 ** 80
    assert not set("ILOU") & set(rules.ALPHABET)


@given(st.text(alphabet=rules.ALPHABET, min_size=16, max_size=16))
def test_does_a_code_read_back_from_its_printed_groups(code):
    printed = rules.format_code(code)
    assert printed.count(" ") == 3
    assert rules.normalise_code(printed.lower()) == code
    assert rules.normalise_code(printed.replace(" ", "-")) == code


def test_are_o_i_and_l_typed_by_mistake_read_as_digits():
    assert rules.normalise_code("OOOO IIII LLLL 2345") == "0000111111112345"


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD1234EFGH567", "ABCD1234EFGH5678X", "ABCD1234EFGH567U"])
def test_is_a_malformed_code_refused(typed):
    with pytest.raises(DomainError):
        rules.normalise_code(typed)


def test_does_a_fixed_window_cover_whole_local_days():
    starts, ends = rules.window(rules.Validity("fixed", date(2026, 12, 1), date(2026, 12, 31)),
                                datetime(2026, 11, 1, tzinfo=timezone.utc), "Asia/Shanghai")
    assert starts == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)
    assert ends == datetime(2026, 12, 31, 16, tzinfo=timezone.utc)


def test_does_a_relative_window_start_after_m_days_and_last_n_days():
    claimed = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # 23:00 in Shanghai
    starts, ends = rules.window(rules.Validity("relative", days=7, after_days=1), claimed, "Asia/Shanghai")
    assert starts == datetime(2026, 11, 23, 16, tzinfo=timezone.utc)  # 24 Nov 00:00 local
    assert ends == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)  # through 30 Nov local
    same_day, _ = rules.window(rules.Validity("relative", days=7), claimed, "Asia/Shanghai")
    assert same_day == claimed


@pytest.mark.parametrize("validity", [
    rules.Validity("fixed"), rules.Validity("fixed", date(2026, 2, 1), date(2026, 1, 1)),
    rules.Validity("relative"), rules.Validity("relative", days=0), rules.Validity("weekly", days=3),
])
def test_is_an_impossible_validity_refused(validity):
    with pytest.raises(DomainError):
        rules.window(validity, datetime(2026, 1, 1, tzinfo=timezone.utc), "Asia/Shanghai")


def test_are_weekdays_and_hours_read_in_the_merchants_timezone():
    wednesday_noon_local = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)
    assert rules.usable_at(wednesday_noon_local, "Asia/Shanghai", [2], 11 * 60, 14 * 60)
    assert not rules.usable_at(wednesday_noon_local, "Asia/Shanghai", [3])
    assert not rules.usable_at(wednesday_noon_local, "Asia/Shanghai", [], 14 * 60, 18 * 60)
    assert rules.usable_at(wednesday_noon_local, "Asia/Shanghai")


def test_which_reason_does_a_cashier_see_first():
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    later, earlier = datetime(2026, 7, 1, tzinfo=timezone.utc), datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert rules.why_not_usable("used", earlier, later, now, True, True) == "该券已使用"
    assert rules.why_not_usable("available", later, later, now, True, True) == "该券尚未到可用时间"
    assert rules.why_not_usable("available", earlier, earlier, now, True, True) == "该券已过期"
    assert rules.why_not_usable("available", earlier, later, now, False, True) == "该券不能在本门店使用"
    assert rules.why_not_usable("available", earlier, later, now, True, False) == "该券当前时段不可用"
    assert rules.why_not_usable("available", earlier, later, now, True, True) is None
