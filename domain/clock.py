"""The one source of 'now', and conversions to a merchant's local time."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def now_utc():
    return datetime.now(timezone.utc)


def to_local(moment, tz_name=DEFAULT_TIMEZONE):
    return moment.astimezone(ZoneInfo(tz_name or DEFAULT_TIMEZONE))


def local_today(tz_name=DEFAULT_TIMEZONE, moment=None):
    return to_local(moment or now_utc(), tz_name).date()


def local_midnight_utc(day: date, tz_name=DEFAULT_TIMEZONE):
    """The UTC instant at which `day` starts in the merchant's timezone."""
    return datetime.combine(day, time.min, ZoneInfo(tz_name or DEFAULT_TIMEZONE)).astimezone(timezone.utc)


def until_text(ends_at, tz_name=DEFAULT_TIMEZONE):
    """The last moment something is valid, as a person reads it: an end at local midnight (exclusive) is the
    whole previous day, '2027-05-22'; any other end keeps its time, '2027-05-22 18:30'; no end is 长期有效."""
    if ends_at is None:
        return "长期有效"
    local = to_local(ends_at, tz_name)
    if local.time() == time.min:
        return (local.date() - timedelta(days=1)).isoformat()
    return f"{local:%Y-%m-%d %H:%M}"
