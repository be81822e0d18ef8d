"""The schedule rules of a merchant's marketing campaigns (营销活动): the built-in holiday calendar, checking a
campaign's schedule, the occasions a scheduler run must handle, birthday windows, dormant cut-offs and the
back office's one-line description. Times are UTC; an hour such as 9 means 9:00 in the merchant's timezone.
Pure rules: no database, no clock of their own (the caller passes `now`)."""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.clock import DEFAULT_TIMEZONE, local_midnight_utc, local_today, now_utc, to_local
from domain.errors import DomainError

KINDS = ("birthday", "dormant", "holiday", "one_off", "recurring", "audience_entry")
KIND_LABELS = {"birthday": "生日礼", "dormant": "沉睡唤醒", "holiday": "节日营销", "one_off": "定时派券",
               "recurring": "周期营销", "audience_entry": "自动派券"}
MAX_CATCH_UP_DAYS = 31  # a scheduler down longer than a month does not flood members with stale sends
MAX_RANGES = 10
MAX_RANGE_DAYS = 31
MAX_RANGE_NAME = 20
MAX_DAYS_AHEAD = 731  # dates further away are typing mistakes (and year 9999 would overflow date arithmetic)
WEEKDAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,9}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOCAL_MINUTE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(:\d{2})?")


@dataclass(frozen=True)
class Holiday:
    key: str
    name: str
    starts: date
    ends: date


# Lunar-calendar days for 2027 (春节 02-06, 元宵 02-20, 端午 06-09, 七夕 08-08, 中秋 09-15, 重阳 10-08) follow
# the official calendar; 母亲节 and 父亲节 are the second Sunday of May and the third Sunday of June.
HOLIDAYS = tuple(Holiday(key, name, date.fromisoformat(starts), date.fromisoformat(ends or starts))
                 for key, name, starts, ends in (
    ("double12-2026", "双十二", "2026-12-12", None), ("christmas-2026", "圣诞节", "2026-12-25", None),
    ("newyear-2027", "元旦", "2027-01-01", None), ("spring-2027", "春节", "2027-02-06", "2027-02-12"),
    ("valentine-2027", "情人节", "2027-02-14", None), ("lantern-2027", "元宵节", "2027-02-20", None),
    ("women-2027", "妇女节", "2027-03-08", None), ("qingming-2027", "清明节", "2027-04-05", None),
    ("labour-2027", "劳动节", "2027-05-01", "2027-05-05"), ("mother-2027", "母亲节", "2027-05-09", None),
    ("520-2027", "520", "2027-05-20", None), ("children-2027", "儿童节", "2027-06-01", None),
    ("dragonboat-2027", "端午节", "2027-06-09", None), ("618-2027", "618", "2027-06-18", None),
    ("father-2027", "父亲节", "2027-06-20", None), ("qixi-2027", "七夕", "2027-08-08", None),
    ("midautumn-2027", "中秋节", "2027-09-15", None), ("national-2027", "国庆节", "2027-10-01", "2027-10-07"),
    ("chongyang-2027", "重阳节", "2027-10-08", None), ("double11-2027", "双十一", "2027-11-11", None),
    ("double12-2027", "双十二", "2027-12-12", None), ("christmas-2027", "圣诞节", "2027-12-25", None),
))


def holidays_from(today):
    """The built-in holidays not yet over on local `today`, soonest first."""
    return [holiday for holiday in HOLIDAYS if holiday.ends >= today]


# --- checking a schedule -------------------------------------------------------------------------------------

def _refuse_control_characters(text, label):
    if any(ord(ch) < 32 for ch in text):
        raise DomainError(f"{label}不能包含控制字符")


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(values, key, label, low, high):
    """values[key] as an int inside [low, high], from a JSON int or a form's string; anything else names the
    field."""
    value, wrong = values.get(key), DomainError(f"{label}须为 {low} 到 {high} 之间的整数", field=key)
    if _blank(value):
        raise DomainError(f"请填写{label}", field=key)
    if isinstance(value, str):
        _refuse_control_characters(value, label)
        if not _WHOLE_NUMBER.fullmatch(value.strip()):  # also refuses a 20-digit number before int() reads it
            raise wrong
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise wrong
    return value


def _choice(values, key, label, options, default=None):
    value = values.get(key) or default
    if isinstance(value, str):
        _refuse_control_characters(value, label)
        value = value.strip()
    if value not in options:
        raise DomainError(f"{label}不是可选的值", field=key)
    return value


def _hour(values):
    return _whole_number(values, "hour", "发送时间（点）", 0, 23)


def _iso_date(value, label):
    text = value.strip() if isinstance(value, str) else ""
    _refuse_control_characters(text, label)
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"{label}格式应为 YYYY-MM-DD", field="ranges") from None


def _birthday(values, today):
    mode = _choice(values, "mode", "生日发放方式", ("days_before", "month_first"), default="days_before")
    if mode == "month_first":
        return {"mode": mode, "hour": _hour(values)}
    return {"mode": mode, "days_before": _whole_number(values, "days_before", "提前天数", 0, 60),
            "hour": _hour(values)}


def _dormant(values, today):
    second = None
    if not _blank(values.get("second_after_days")):
        second = _whole_number(values, "second_after_days", "第二步间隔天数", 1, 365)
    return {"days": _whole_number(values, "days", "未到店天数", 7, 730), "hour": _hour(values),
            "second_after_days": second}


def _holiday_range(raw, number, today):
    label = f"第 {number} 段日期"
    if not isinstance(raw, dict):
        raise DomainError(f"{label}格式不正确", field="ranges")
    name = raw.get("name").strip() if isinstance(raw.get("name"), str) else ""
    if not name:
        raise DomainError(f"请填写{label}的名称", field="ranges")
    _refuse_control_characters(name, f"{label}的名称")
    if len(name) > MAX_RANGE_NAME:
        raise DomainError(f"{label}的名称最多 {MAX_RANGE_NAME} 个字", field="ranges")
    starts = _iso_date(raw.get("starts"), f"{label}的开始日期")
    ends = _iso_date(raw.get("ends") or raw.get("starts"), f"{label}的结束日期")
    if ends < starts:
        raise DomainError(f"{label}：结束日期不能早于开始日期", field="ranges")
    if ends < today:
        raise DomainError(f"{label}：日期不能早于今天", field="ranges")
    if (ends - starts).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(f"{label}：每段最多 {MAX_RANGE_DAYS} 天", field="ranges")
    if ends > today + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(f"{label}：日期不能晚于两年后", field="ranges")
    return {"name": name, "starts": starts.isoformat(), "ends": ends.isoformat()}


def _holiday(values, today):
    raw_ranges = values.get("ranges")
    if not isinstance(raw_ranges, (list, tuple)) or not raw_ranges:
        raise DomainError("请至少填写一段节日日期", field="ranges")
    if len(raw_ranges) > MAX_RANGES:
        raise DomainError(f"节日日期最多 {MAX_RANGES} 段", field="ranges")
    ranges = sorted((_holiday_range(raw, n, today) for n, raw in enumerate(raw_ranges, start=1)),
                    key=lambda one: (one["starts"], one["ends"]))
    # Overlapping ranges would send twice on the same days; a campaign has one send per day.
    for earlier, later in zip(ranges, ranges[1:]):
        if later["starts"] <= earlier["ends"]:
            raise DomainError(f"“{earlier['name']}”与“{later['name']}”的日期重叠", field="ranges")
    return {"ranges": ranges, "hour": _hour(values)}


def _one_off(values, today, *, tz_name, now):
    raw = values.get("at")
    if not isinstance(raw, str) or not raw.strip():
        raise DomainError("请填写发送时间", field="at")
    _refuse_control_characters(raw, "发送时间")
    match = _LOCAL_MINUTE.fullmatch(raw.strip())
    try:
        if not match:
            raise ValueError
        at = datetime.combine(date.fromisoformat(match[1]), time(int(match[2]), int(match[3])))
    except ValueError:
        raise DomainError("发送时间格式应为 YYYY-MM-DD HH:MM", field="at") from None
    if at.date() > today + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError("发送时间不能晚于两年后", field="at")
    # A date long past is refused before converting it: year 1 in an eastern timezone has no UTC instant.
    if at.date() < today - timedelta(days=1) or _local_to_utc(at, tz_name) <= now:
        raise DomainError("发送时间不能早于现在", field="at")
    return {"at": f"{at:%Y-%m-%dT%H:%M}"}


def _recurring(values, today):
    every = _choice(values, "every", "周期", ("week", "month"))
    label, low, high = ("每周哪天", 0, 6) if every == "week" else ("每月几日", 1, 31)
    return {"every": every, "day": _whole_number(values, "day", label, low, high), "hour": _hour(values)}


def _audience_entry(values, today):
    return {"hour": _hour(values)}


_PARSERS = {"birthday": _birthday, "dormant": _dormant, "holiday": _holiday, "recurring": _recurring,
            "audience_entry": _audience_entry}


def parse_schedule(kind, values, *, tz_name=DEFAULT_TIMEZONE, now=None):
    """The clean schedule dict (stored as JSON) for a campaign of `kind`, from a form's strings or JSON's ints;
    a DomainError names the first bad field. `now` (UTC, default the clock) decides what is in the past."""
    if kind not in KINDS:
        raise DomainError("未知的活动类型", field="kind")
    if not isinstance(values, dict):
        raise DomainError("活动规则格式不正确")
    now = now or now_utc()
    today = local_today(tz_name, now)
    if kind == "one_off":
        return _one_off(values, today, tz_name=tz_name, now=now)
    return _PARSERS[kind](values, today)


# --- occasions ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occasion:
    key: str  # unique per campaign per occasion: the run's idempotency key
    due_at: datetime
    local_day: date
    step: int = 1


def _local_to_utc(local_naive, tz_name):
    return local_naive.replace(tzinfo=ZoneInfo(tz_name or DEFAULT_TIMEZONE)).astimezone(timezone.utc)


def _at_hour(day, hour, tz_name):
    return _local_to_utc(datetime.combine(day, time(hour)), tz_name)


def _one_off_at(schedule, tz_name):
    return _local_to_utc(datetime.fromisoformat(schedule["at"]), tz_name)


def _runs_on(kind, schedule, day):
    """Whether a daily-style campaign runs on local `day` (every day, except a recurring one's chosen days)."""
    if kind != "recurring":
        return True
    if schedule["every"] == "week":
        return day.weekday() == schedule["day"]
    last_day = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule["day"], last_day)  # the 31st means the last day in shorter months


def _daily_occasions(kind, schedule, tz_name, since, now):
    steps = [(1, "")]
    if kind == "dormant" and schedule.get("second_after_days"):
        steps.append((2, ":2"))
    found = []
    day, last = to_local(since, tz_name).date(), to_local(now, tz_name).date()
    while day <= last:
        due = _at_hour(day, schedule["hour"], tz_name)
        if since < due <= now and _runs_on(kind, schedule, day):
            found.extend(Occasion(day.isoformat() + suffix, due, day, step) for step, suffix in steps)
        day += timedelta(days=1)
    # Around a daylight-saving change 31 x 24 hours can hold 32 local hours: keep the cap exact.
    days = sorted({occasion.local_day for occasion in found})[-MAX_CATCH_UP_DAYS:]
    return [occasion for occasion in found if occasion.local_day in days]


def _range_key(one):
    return "h:" + one["starts"] + ("" if one["ends"] == one["starts"] else "-" + one["ends"])


def _holiday_occasions(schedule, tz_name, since, now):
    """A range is due once anywhere inside it: from its first day at the hour until its last day ends, so a
    campaign switched on mid-range (or a scheduler back from a pause) still sends. The key makes it once."""
    found = []
    for one in schedule["ranges"]:
        starts, ends = date.fromisoformat(one["starts"]), date.fromisoformat(one["ends"])
        opens = _at_hour(starts, schedule["hour"], tz_name)
        closes = local_midnight_utc(ends + timedelta(days=1), tz_name)
        if opens <= now and closes > since and opens < closes:
            due = max(opens, since)
            found.append(Occasion(_range_key(one), due, to_local(due, tz_name).date()))
    return found


def occasions_due(kind, schedule, *, tz_name=DEFAULT_TIMEZONE, since, now):
    """The occasions whose due_at falls in (since, now], oldest first. `since` None means the campaign was just
    switched on: today's occasion is due if its hour has passed. Catch-up reaches at most 31 days back."""
    since = now - timedelta(days=1) if since is None else since
    since = max(since, now - timedelta(days=MAX_CATCH_UP_DAYS))
    if since >= now:
        return []
    if kind == "holiday":
        found = _holiday_occasions(schedule, tz_name, since, now)
    elif kind == "one_off":
        at = _one_off_at(schedule, tz_name)
        found = [Occasion("once", at, to_local(at, tz_name).date())] if since < at <= now else []
    elif kind in KINDS:
        found = _daily_occasions(kind, schedule, tz_name, since, now)
    else:
        raise DomainError("未知的活动类型", field="kind")
    return sorted(found, key=lambda occasion: (occasion.due_at, occasion.step, occasion.key))


def next_due(kind, schedule, *, tz_name=DEFAULT_TIMEZONE, after):
    """The first due_at strictly after `after` (UTC), or None when nothing is left (for 下次执行)."""
    if kind == "one_off":
        at = _one_off_at(schedule, tz_name)
        return at if at > after else None
    if kind == "holiday":
        starts = (_at_hour(date.fromisoformat(one["starts"]), schedule["hour"], tz_name)
                  for one in schedule["ranges"])
        return min((due for due in starts if due > after), default=None)
    day = to_local(after, tz_name).date()
    for _ in range(63):  # a month day such as the 31st comes within two months
        due = _at_hour(day, schedule["hour"], tz_name)
        if due > after and _runs_on(kind, schedule, day):
            return due
        day += timedelta(days=1)
    return None


# --- birthdays, dormant members, weeks ------------------------------------------------------------------------

def birthday_window(today, schedule):
    """[(occurrence, month, day)]: the birthdays a run on local `today` celebrates, with the date that birthday
    falls on (its year is the once-per-year period). A 29 February birthday is kept on 28 February in a
    non-leap year."""
    if schedule["mode"] == "month_first":
        first = today.replace(day=1)
        last_day = calendar.monthrange(today.year, today.month)[1]
        found = [(first, today.month, day) for day in range(1, last_day + 1)]
        if today.month == 2 and last_day == 28:
            found.append((first, 2, 29))
        return found
    found = []
    # Every birthday still ahead inside the window, not only the one exactly N days away: a birthday added late
    # or a scheduler that was down is still celebrated; the period keeps it to once a year.
    for offset in range(schedule.get("days_before", 0) + 1):
        day = today + timedelta(days=offset)
        found.append((day, day.month, day.day))
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found.append((day, 2, 29))
    return found


def dormant_cutoff(today, days, tz_name=DEFAULT_TIMEZONE):
    """A member whose last visit is before this instant (UTC) is dormant on local `today`."""
    return local_midnight_utc(today - timedelta(days=days), tz_name)


def second_cutoff(today, days, second_after_days, tz_name=DEFAULT_TIMEZONE):
    """The same cut-off for the second step: still no visit `second_after_days` days after becoming dormant."""
    return dormant_cutoff(today, days + second_after_days, tz_name)


def period_of_spell(last_visit_local_date):
    """One dormant spell per last visit: a member who comes back and goes dormant again starts a new spell."""
    return "d:" + last_visit_local_date.isoformat()


def week_of(moment_utc, tz_name=DEFAULT_TIMEZONE):
    """The Monday (ISO date) of the merchant-local week holding the moment, for a weekly frequency cap."""
    day = to_local(moment_utc, tz_name).date()
    return (day - timedelta(days=day.weekday())).isoformat()


# --- describing -------------------------------------------------------------------------------------------

def _range_text(one):
    if one["starts"] == one["ends"]:
        return f"{one['name']} {one['starts']}"
    return f"{one['name']} {one['starts']} 至 {one['ends']}"


def describe_schedule(kind, schedule):
    """A short Chinese sentence for the back office, e.g. '生日前 3 天 9:00' or '每周一 10:00'."""
    hour = f"{schedule.get('hour', 0)}:00"
    if kind == "birthday":
        if schedule["mode"] == "month_first":
            return f"生日当月 1 日 {hour}"
        before = schedule.get("days_before", 0)
        return f"生日前 {before} 天 {hour}" if before else f"生日当天 {hour}"
    if kind == "dormant":
        text = f"连续 {schedule['days']} 天未到店，{hour}"
        if schedule.get("second_after_days"):
            text += f"；再过 {schedule['second_after_days']} 天仍未到店发第二步"
        return text
    if kind == "holiday":
        return "、".join(_range_text(one) for one in schedule["ranges"]) + f" {hour}"
    if kind == "one_off":
        return schedule["at"].replace("T", " ")
    if kind == "recurring":
        if schedule["every"] == "week":
            return f"每周{WEEKDAY_NAMES[schedule['day']]} {hour}"
        shorter = "（无此日的月份取月末）" if schedule["day"] > 28 else ""
        return f"每月 {schedule['day']} 日{shorter} {hour}"
    if kind == "audience_entry":
        when = "每晚" if schedule["hour"] < 6 or schedule["hour"] >= 18 else "每天"
        return f"进入人群后立即发放（{when} {hour} 复查）"
    return KIND_LABELS.get(kind, kind)
