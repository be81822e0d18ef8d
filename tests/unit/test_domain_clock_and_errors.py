"""The clock (local days and midnights), the domain error types, and the purity of `domain/`."""
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import errors
from domain.clock import DEFAULT_TIMEZONE, local_midnight_utc, local_today, now_utc, to_local, until_text

property_test = settings(database=None, deadline=None, max_examples=200)
UTC = timezone.utc
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- clock -----------------------------------------------------------------------------------

def test_is_the_default_timezone_shanghai():
    assert DEFAULT_TIMEZONE == "Asia/Shanghai"


def test_is_now_an_aware_utc_instant():
    before = datetime.now(UTC)
    now = now_utc()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


@pytest.mark.parametrize("tz_name", [None, "", DEFAULT_TIMEZONE])
def test_does_a_missing_timezone_name_fall_back_to_shanghai_when_converting(tz_name):
    local = to_local(datetime(2026, 12, 31, 17, tzinfo=UTC), tz_name)
    assert (local.year, local.month, local.day, local.hour) == (2027, 1, 1, 1)
    assert local.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "moment, day",
    [
        (datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), date(2026, 3, 1)),
        (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_which_local_day_is_it_in_shanghai_at_this_utc_instant(moment, day):
    assert local_today(DEFAULT_TIMEZONE, moment) == day


def test_does_local_today_use_the_timezone_given():
    moment = datetime(2026, 3, 1, 3, tzinfo=UTC)
    assert local_today("America/New_York", moment) == date(2026, 2, 28)
    assert local_today("Asia/Shanghai", moment) == date(2026, 3, 1)


@pytest.mark.parametrize(
    "day, tz_name, instant",
    [
        (date(2026, 3, 1), "Asia/Shanghai", datetime(2026, 2, 28, 16, tzinfo=UTC)),
        (date(2030, 1, 1), "Asia/Shanghai", datetime(2029, 12, 31, 16, tzinfo=UTC)),
        (date(2026, 3, 1), "UTC", datetime(2026, 3, 1, tzinfo=UTC)),
        (date(2026, 3, 8), "America/New_York", datetime(2026, 3, 8, 5, tzinfo=UTC)),  # still EST at midnight
        (date(2026, 3, 9), "America/New_York", datetime(2026, 3, 9, 4, tzinfo=UTC)),  # EDT
    ],
)
def test_at_which_utc_instant_does_a_local_day_begin(day, tz_name, instant):
    result = local_midnight_utc(day, tz_name)
    assert result == instant
    assert result.utcoffset() == timedelta(0)


@property_test
@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2090, 12, 31)),
       st.sampled_from(["Asia/Shanghai", "UTC", "Europe/Berlin"]))
def test_does_the_local_midnight_map_back_to_the_same_local_day_at_zero_hours(day, tz_name):
    local = local_midnight_utc(day, tz_name).astimezone(ZoneInfo(tz_name))
    assert local.date() == day
    assert (local.hour, local.minute, local.second) == (0, 0, 0)


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "cls, code, status, parent",
    [
        (errors.DomainError, "invalid", 400, Exception),
        (errors.NotFound, "not_found", 404, errors.DomainError),
        (errors.PermissionDenied, "forbidden", 403, errors.DomainError),
        (errors.Conflict, "conflict", 409, errors.DomainError),
        (errors.InsufficientBalance, "insufficient_balance", 409, errors.Conflict),
        (errors.InsufficientPoints, "insufficient_points", 409, errors.Conflict),
        (errors.WalletFrozen, "wallet_frozen", 409, errors.Conflict),
        (errors.IdempotencyMismatch, "idempotency_mismatch", 409, errors.Conflict),
        (errors.IdentityTaken, "identity_taken", 409, errors.Conflict),
    ],
)
def test_what_code_and_http_status_does_each_domain_error_carry(cls, code, status, parent):
    error = cls("说明", key="value")
    assert (error.code, error.http_status) == (code, status)
    assert isinstance(error, parent) and isinstance(error, errors.DomainError)


def test_does_a_domain_error_keep_its_readable_message_and_details():
    error = errors.DomainError("金额格式不正确", value="abc", extra=1)
    assert error.message == "金额格式不正确" == str(error)
    assert error.details == {"value": "abc", "extra": 1}
    assert errors.DomainError("x").details == {}


# --- purity ----------------------------------------------------------------------------------

def test_does_importing_the_domain_package_pull_in_neither_flask_nor_sqlalchemy():
    script = (
        "import sys, domain.money, domain.phone, domain.roles, domain.levels, domain.points, "
        "domain.wallet, domain.clock, domain.errors\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-B", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("ends_at, expected", [
    (None, "长期有效"),
    (datetime(2027, 5, 22, 16, 0, tzinfo=UTC), "2027-05-22"),  # 05-23 00:00 in Shanghai: valid through the 22nd
    (datetime(2027, 5, 22, 10, 30, tzinfo=UTC), "2027-05-22 18:30"),
])
def test_is_the_end_of_validity_shown_as_the_last_valid_day_or_moment(ends_at, expected):
    assert until_text(ends_at, "Asia/Shanghai") == expected
