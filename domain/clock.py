"""The one source of 'now', and conversions to a merchant's local time."""
from datetime import date, datetime, time, timezone
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
