"""Count cards (次卡) and timed cards (时长卡): uses, tiers, start, daily limits, extension, why-not-usable.

Pure rules on plain values; services/cards/count_timed_issue.py and count_timed_use.py apply them under conditional
updates and row locks.
A timed card's length is whole days counted from the moment it starts (`starts_at + days`), so an
extension adds exact days to the current end: 5 days left + a 30-day tier = 35 days left.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from domain.cards import ACTIVE, COUNT, PENDING, TIMED, USED_UP, state_label
from domain.clock import local_midnight_utc, to_local
from domain.errors import DomainError

FIRST_USE, AFTER_DAYS = "first_use", "after_days"
START_MODES = (FIRST_USE, AFTER_DAYS)
START_MODE_LABELS = {FIRST_USE: "首次使用时开始", AFTER_DAYS: "购买后固定天数开始"}

# The standard tiers; a merchant may also add custom ones of any length.
STANDARD_TIERS = (("week", "周卡", 7), ("month", "月卡", 30), ("quarter", "季卡", 90))
MAX_TIERS = 6
MAX_DAYS = 3660
MAX_USES = 10000
MAX_START_AFTER_DAYS = 365
MAX_DAILY_LIMIT = 100
_TIER_KEY = re.compile(r"^[a-z0-9_]{1,20}$")


@dataclass(frozen=True)
class Tier:
    key: str
    label: str
    days: int
    price: int  # fen

    def as_json(self):
        return {"key": self.key, "label": self.label, "days": self.days, "price": self.price}


def clean_tiers(rows):
    """Tiers from what a merchant typed: [{"key"?, "label", "days", "price"}] -> [Tier]; refuses bad rows.

    A row without a key gets the standard key for its length (7 -> week) or `d<days>`; keys are unique.
    """
    tiers, seen = [], set()
    for row in rows:
        label = (row.get("label") or "").strip()
        days, price = row.get("days"), row.get("price")
        if not label:
            raise DomainError("请填写时长档位的名称")
        if len(label) > 20:
            raise DomainError("时长档位名称不能超过 20 个字符")
        if not isinstance(days, int) or not 0 < days <= MAX_DAYS:
            raise DomainError(f"时长档位「{label}」的天数须在 1 到 {MAX_DAYS} 之间")
        if not isinstance(price, int) or price < 0:
            raise DomainError(f"时长档位「{label}」须设置价格")
        key = row.get("key") or _default_key(days)
        if key in seen:  # two tiers of the same length: the second gets its position appended
            key = f"{key}_{len(tiers) + 1}"
        if not _TIER_KEY.match(key):
            raise DomainError("时长档位标识不正确")
        seen.add(key)
        tiers.append(Tier(key, label, days, price))
    if not tiers:
        raise DomainError("时长卡至少需要一个时长档位")
    if len(tiers) > MAX_TIERS:
        raise DomainError(f"时长档位最多 {MAX_TIERS} 个")
    return tiers


def _default_key(days):
    for key, _label, standard_days in STANDARD_TIERS:
        if days == standard_days:
            return key
    return f"d{days}"


def pick_tier(tiers, tier_key):
    """The tier with this key from a template's stored tiers; the only one when the key is omitted."""
    stored = [Tier(t["key"], t["label"], int(t["days"]), int(t["price"])) for t in tiers or ()]
    if tier_key is None and len(stored) == 1:
        return stored[0]
    for tier in stored:
        if tier.key == tier_key:
            return tier
    raise DomainError("请选择时长档位")


def check_count_rules(uses, service_name):
    if not isinstance(uses, int) or not 0 < uses <= MAX_USES:
        raise DomainError(f"次卡次数须在 1 到 {MAX_USES} 之间")
    if not (service_name or "").strip():
        raise DomainError("请填写次卡的服务项目")


def check_timed_rules(start_mode, start_after_days, daily_limit):
    if start_mode not in START_MODES:
        raise DomainError("未知的开始方式")
    if start_mode == AFTER_DAYS and not (isinstance(start_after_days, int)
                                         and 0 <= start_after_days <= MAX_START_AFTER_DAYS):
        raise DomainError(f"购买后开始的天数须在 0 到 {MAX_START_AFTER_DAYS} 之间")
    if daily_limit is not None and not (isinstance(daily_limit, int) and 0 < daily_limit <= MAX_DAILY_LIMIT):
        raise DomainError(f"每日限用次数须在 1 到 {MAX_DAILY_LIMIT} 之间，留空表示不限")


# --- count cards ----------------------------------------------------------------------------------

def count_end(issued_at, valid_days, tz_name):
    """A count card's exclusive end: the local midnight `valid_days` days after the day of issue; None = no end."""
    if valid_days is None:
        return None
    return local_midnight_utc(to_local(issued_at, tz_name).date() + timedelta(days=valid_days), tz_name)


def take_uses(uses_left, n):
    """(uses left, state) after taking n uses from an active count card; the last use ends it."""
    if not isinstance(n, int) or n <= 0:
        raise DomainError("核销次数须为正整数")
    if n > uses_left:
        raise DomainError(f"剩余 {uses_left} 次，不够扣 {n} 次")
    left = uses_left - n
    return left, (USED_UP if left == 0 else ACTIVE)


def put_back_uses(uses_left, uses_total, n):
    """(uses left, state) after an undo gives n uses back."""
    left = uses_left + n
    if left > uses_total:
        raise DomainError("撤销后的次数超过总次数")
    return left, ACTIVE


# --- timed cards ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Start:
    """How a newly bought timed card begins: its state and, when already known, its window."""

    state: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]


def timed_start(start_mode, start_after_days, days, bought_at, tz_name):
    """First use: pending with no window yet. After N days: starts at the local midnight N days on (now when N=0)."""
    if start_mode == FIRST_USE:
        return Start(PENDING, None, None)
    if start_after_days == 0:
        return Start(ACTIVE, bought_at, bought_at + timedelta(days=days))
    first_day = to_local(bought_at, tz_name).date() + timedelta(days=start_after_days)
    starts = local_midnight_utc(first_day, tz_name)
    return Start(PENDING, starts, starts + timedelta(days=days))


def started_window(now, days):
    """(starts_at, ends_at) for a first-use card starting now."""
    return now, now + timedelta(days=days)


def extend(days, ends_at, extra_days):
    """(days, ends_at) after adding a tier: from the current end, never from now; a card not started just grows."""
    if extra_days <= 0:
        raise DomainError("续期天数须为正数")
    return days + extra_days, (ends_at + timedelta(days=extra_days) if ends_at is not None else None)


def is_extendable(state, ends_at, now):
    """Whether a held card of the same template takes a new purchase as an extension."""
    return state in (ACTIVE, PENDING) and (ends_at is None or ends_at > now)


def days_left(ends_at, now):
    """Whole days remaining, rounding a part day up (an end later today still counts 1)."""
    if ends_at is None or ends_at <= now:
        return 0
    remaining = ends_at - now
    return remaining.days + (1 if remaining.seconds or remaining.microseconds else 0)


def local_day_bounds(now, tz_name):
    """[start, end) in UTC of the merchant's local day containing `now`, for counting today's uses."""
    today = to_local(now, tz_name).date()
    return local_midnight_utc(today, tz_name), local_midnight_utc(today + timedelta(days=1), tz_name)


# --- why not usable -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Usage:
    """What the till needs to know about one card right now."""

    kind: str
    state: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    store_ok: bool
    uses_left: Optional[int] = None
    wanted: int = 1
    daily_limit: Optional[int] = None
    used_today: int = 0
    photo_required: bool = False
    has_photo: bool = False
    extended_into: Optional[str] = None  # the code of the card an extension purchase lengthened


def why_not_usable(usage: Usage, now: datetime, tz_name: str):
    """The first reason this card cannot be used here and now, in Chinese, or None."""
    label = "次卡" if usage.kind == COUNT else "时长卡"
    if usage.extended_into is not None:
        return f"这笔购买已续期到时长卡 {usage.extended_into}，请出示该卡"
    startable = usage.kind == TIMED and usage.state == PENDING
    if usage.state != ACTIVE and not startable:
        return f"该{label}{state_label(usage.kind, usage.state)}"
    if startable and usage.starts_at is not None and now < usage.starts_at:
        return f"该时长卡 {to_local(usage.starts_at, tz_name):%Y-%m-%d} 起可用"
    if usage.ends_at is not None and now >= usage.ends_at:
        return f"该{label}已过期"
    if not usage.store_ok:
        return f"该{label}不能在本门店使用"
    if usage.kind == COUNT and usage.uses_left is not None and usage.wanted > usage.uses_left:
        return f"剩余 {usage.uses_left} 次，不够扣 {usage.wanted} 次"
    if usage.kind == TIMED and usage.daily_limit is not None and usage.used_today >= usage.daily_limit:
        return f"今日已使用 {usage.used_today} 次，已达每日上限 {usage.daily_limit} 次"
    if usage.kind == TIMED and usage.photo_required and not usage.has_photo:
        return "该时长卡需核对本人照片，会员尚未上传照片"
    return None
