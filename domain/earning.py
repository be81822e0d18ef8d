"""Points earned at the till: the base, the multipliers (level, holiday/weekday, benefit card), referral shares.

Pure and integer-only: multipliers are kept in tenths (15 = 1.5 倍) or percent (150 = 1.5 倍) exactly as they are
stored, and the one division happens at the end, so a payment never earns a point more or less than the preview
the merchant read in the back office said it would.
"""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from domain.errors import DomainError

MAX_DATE_RANGES = 10  # 节假日 ranges per merchant (issue 6)
MAX_WEEKDAY_RULES = 7
MAX_RANGE_DAYS = 366
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # index 0 = Monday, as date.weekday()
EARN_BASE_LABELS = {"paid": "实付金额", "amount": "订单金额"}
MAX_REFERRAL_LEVELS = 5


@dataclass(frozen=True)
class MultiplierDay:
    label: str
    multiplier_tenths: int  # 20 = double points
    starts_on: Optional[date] = None  # a date range (both set) ...
    ends_on: Optional[date] = None
    weekday: Optional[int] = None  # ... or every such weekday, 0 = Monday

    def applies(self, day: date):
        if self.weekday is not None:
            return day.weekday() == self.weekday
        return self.starts_on <= day <= self.ends_on


def day_multiplier(days, local_date: date):
    """(the best tenths among the rules covering that local date, its label); (10, "") when none does."""
    covering = [d for d in days if d.applies(local_date)]
    if not covering:
        return 10, ""
    best = max(covering, key=lambda d: d.multiplier_tenths)
    return best.multiplier_tenths, best.label


def points_earned(*, base_fen, earn_per_yuan, level_tenths=10, day_tenths=10, benefit_percent=100, compound=False):
    """floor(base in yuan x points per ¥1 x multiplier): the highest multiplier alone, or their product if compound."""
    if base_fen <= 0 or earn_per_yuan <= 0:
        return 0
    if compound:
        return base_fen * earn_per_yuan * level_tenths * day_tenths * benefit_percent // (100 * 10 * 10 * 100)
    percent = max(level_tenths * 10, day_tenths * 10, benefit_percent)
    return base_fen * earn_per_yuan * percent // (100 * 100)


def earn_base(*, base, amount, pay, balance_paid):
    """The fen points are earned on: 'paid' = money actually paid (balance + tender, after every discount, points
    and coupons); 'amount' = the order amount. `balance_paid` is part of `pay` already, so it adds nothing here."""
    if base == "amount":
        return amount
    if base == "paid":
        return pay
    raise DomainError("未知的积分计算基数")


def referral_shares(points, levels, percent):
    """Each referrer level gets floor(points x percent / 100) of the payer's points: 1000, 5, 10 -> [100] x 5."""
    if points <= 0 or levels <= 0:
        return [0] * max(levels, 0)
    return [points * percent // 100] * levels


# --- checks (the back office and the service refuse with these messages) ---------------------------------

def check_settings(*, points_per_yuan, points_max_percent, random_min, random_max, earn_base, earn_per_yuan,
                   referral_levels, referral_percent):
    """Every rule the checkout_settings row's CHECKs enforce, as Chinese sentences instead of database errors."""
    _require(points_per_yuan is None or 1 <= points_per_yuan <= 100000, "积分抵扣比例须在 1 到 100000 积分抵 ¥1 之间")
    _require(0 <= points_max_percent <= 100, "积分最多抵扣订单的比例须在 0% 到 100% 之间")
    _require(random_min >= 0 and random_max >= 0, "随机立减金额不能为负数")
    _require(random_max >= random_min, "随机立减的最高金额不能低于最低金额")
    _require(random_max <= 100000, "随机立减最高不能超过 ¥1000")
    _require(earn_base in EARN_BASE_LABELS, "未知的积分计算基数")
    _require(0 <= earn_per_yuan <= 1000, "每 ¥1 积分须在 0 到 1000 之间")
    _require(0 <= referral_levels <= MAX_REFERRAL_LEVELS, "推荐分成层级须在 0 到 5 级之间")
    _require(0 <= referral_percent <= 100, "推荐分成比例须在 0% 到 100% 之间")


def check_day(day: MultiplierDay):
    """The multiplier day, or DomainError saying what is wrong with it."""
    _require(bool((day.label or "").strip()) and len(day.label) <= 40, "名称须为 1 到 40 个字")
    _require(11 <= day.multiplier_tenths <= 100, "倍数须大于 1 倍，最多 10 倍")
    has_range = day.starts_on is not None or day.ends_on is not None
    _require(has_range != (day.weekday is not None), "请选择日期范围或每周的某一天（二选一）")
    if day.weekday is not None:
        _require(0 <= day.weekday <= 6, "请选择周一到周日中的一天")
        return day
    _require(day.starts_on is not None and day.ends_on is not None, "日期范围须同时填写开始和结束日期")
    _require(day.ends_on >= day.starts_on, "结束日期不能早于开始日期")
    _require((day.ends_on - day.starts_on).days < MAX_RANGE_DAYS, "日期范围不能超过一年")
    return day


def _require(ok, message):
    if not ok:
        raise DomainError(message)


# --- what the merchant reads ------------------------------------------------------------------------------

def times(tenths):
    """20 -> '2 倍', 15 -> '1.5 倍'."""
    whole, part = divmod(int(tenths), 10)
    return f"{whole}.{part} 倍" if part else f"{whole} 倍"


def when(day: MultiplierDay):
    """'2026-10-01 至 10-07', '2026-12-31 至 2027-01-02', '每周三'."""
    if day.weekday is not None:
        return "每" + WEEKDAY_LABELS[day.weekday]
    if day.starts_on == day.ends_on:
        return day.starts_on.isoformat()
    end = day.ends_on.strftime("%m-%d") if day.ends_on.year == day.starts_on.year else day.ends_on.isoformat()
    return f"{day.starts_on.isoformat()} 至 {end}"


def describe_day(day: MultiplierDay):
    """'国庆：2026-10-01 至 10-07 积分 2 倍'."""
    return f"{day.label}：{when(day)} 积分 {times(day.multiplier_tenths)}"


def preview(*, amount_fen, earn_per_yuan, compound, level_name="", level_tenths=10, day=None):
    """'会员在 2026-10-01 至 10-07 消费 ¥100（金卡 1.5 倍，国庆 2 倍，不叠加）得 200 积分'."""
    day_tenths = day.multiplier_tenths if day is not None else 10
    earned = points_earned(base_fen=amount_fen, earn_per_yuan=earn_per_yuan, level_tenths=level_tenths,
                           day_tenths=day_tenths, compound=compound)
    parts = [f"{level_name} {times(level_tenths)}"] if level_name and level_tenths != 10 else []
    parts += [f"{day.label} {times(day_tenths)}"] if day is not None else []
    if len(parts) > 1:
        parts.append("叠加" if compound else "不叠加")
    detail = f"（{'，'.join(parts)}）" if parts else " "
    place = f"在 {when(day)} " if day is not None else ""
    return f"会员{place}消费 {_yuan(amount_fen)}{detail}得 {earned} 积分"


def referral_preview(points, levels, percent):
    """'会员消费得 1000 积分时，1 至 5 级推荐人各得 100 积分' or '未开启推荐分成'."""
    if levels <= 0 or percent <= 0:
        return "未开启推荐分成"
    share = referral_shares(points, levels, percent)[0]
    who = "推荐人" if levels == 1 else f"1 至 {levels} 级推荐人各"
    return f"会员消费得 {points} 积分时，{who}得 {share} 积分（{percent}%）"


def _yuan(fen):
    whole, part = divmod(fen, 100)
    return f"¥{whole}" if not part else f"¥{whole}.{part:02d}".rstrip("0")
