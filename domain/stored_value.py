"""Stored value rules, pure: which tiers are in force on a date, what a tier gives, the guard rails.

Amounts are integer fen. A tier's bonus has two parts: `bonus` credited with the top-up, and
`instalment_total` paid out over `instalment_months` monthly instalments afterwards.
"""
from dataclasses import dataclass

from domain.errors import Conflict, DomainError
from domain.money import MAX_FEN, format_yuan

NUDGE_MODES = ("off", "once", "every")
NUDGE_LABELS = {"off": "不提醒", "once": "每位会员提醒一次", "every": "每次支付后提醒"}
MAX_COUPON_KINDS = 5
MAX_COUPON_COUNT = 10  # of one template in one tier
MAX_INSTALMENT_MONTHS = 36
MAX_GIFT_POINTS = 10_000_000

# Guard rails for prepaid cards, in fen. Common caps under the prepaid card rules: 5,000 yuan on a named card,
# 1,000 yuan on an anonymous one, real name above 10,000 yuan; a merchant may set stricter ones.
DEFAULTS = {
    "custom_min": 1_000,
    "custom_max": 500_000,
    "max_balance": 500_000,
    "anonymous_max_face": 100_000,
    "real_name_threshold": 1_000_000,
}


def short_yuan(fen):
    """10000 -> '100'; 1050 -> '10.50' (tiers read better without '.00')."""
    text = format_yuan(fen)
    return text[:-3] if text.endswith(".00") else text


def check_settings(*, custom_min, custom_max, nudge_mode, max_balance, anonymous_max_face, real_name_threshold):
    if nudge_mode not in NUDGE_MODES:
        raise DomainError("未知的充值提醒方式")
    for value, label in ((custom_min, "自定义金额下限"), (custom_max, "自定义金额上限"), (max_balance, "实名卡余额上限"),
                         (anonymous_max_face, "不记名卡面值上限"), (real_name_threshold, "实名购卡金额")):
        if not isinstance(value, int) or not 0 < value <= MAX_FEN:
            raise DomainError(f"{label}须大于 0")
    if custom_max < custom_min:
        raise DomainError("自定义金额上限不能低于下限")


def check_rule(*, pay_amount, bonus, instalment_total, instalment_months, points, growth, coupons, starts_on,
               ends_on):
    """A tier as typed is sane; raises DomainError with the first problem."""
    if not isinstance(pay_amount, int) or not 0 < pay_amount <= MAX_FEN:
        raise DomainError("充值金额须大于 0")
    for value, label in ((bonus, "赠送金额"), (instalment_total, "分期返还金额")):
        if not isinstance(value, int) or not 0 <= value <= MAX_FEN:
            raise DomainError(f"{label}不能为负数")
    for value, label in ((points, "赠送积分"), (growth, "赠送成长值")):
        if not isinstance(value, int) or not 0 <= value <= MAX_GIFT_POINTS:
            raise DomainError(f"{label}须在 0 到 {MAX_GIFT_POINTS} 之间")
    if not isinstance(instalment_months, int) or not 0 <= instalment_months <= MAX_INSTALMENT_MONTHS:
        raise DomainError(f"分期月数须在 0 到 {MAX_INSTALMENT_MONTHS} 之间")
    if (instalment_total > 0) != (instalment_months > 0):
        raise DomainError("分期返还须同时填写金额和月数")
    if instalment_months and instalment_total < instalment_months:
        raise DomainError("分期返还金额过小，每月至少返还 0.01 元")
    if (starts_on is None) != (ends_on is None):
        raise DomainError("活动期须同时填写开始和结束日期")
    if starts_on is not None and ends_on < starts_on:
        raise DomainError("活动期结束日期不能早于开始日期")
    check_coupons(coupons)


def check_coupons(coupons):
    if len(coupons) > MAX_COUPON_KINDS:
        raise DomainError(f"每档最多赠送 {MAX_COUPON_KINDS} 种优惠券")
    seen = set()
    for entry in coupons:
        count = entry.get("count")
        if not isinstance(count, int) or not 1 <= count <= MAX_COUPON_COUNT:
            raise DomainError(f"每种优惠券赠送 1 到 {MAX_COUPON_COUNT} 张")
        if entry.get("template_id") in seen:
            raise DomainError("同一种优惠券请只选一次")
        seen.add(entry.get("template_id"))


def is_special(rule):
    return rule.starts_on is not None


def in_force(rules, today):
    """The active tiers for `today` (a local date): a special period's own tiers replace the regular ones."""
    active = [r for r in rules if r.active]
    special = [r for r in active if is_special(r) and r.starts_on <= today <= r.ends_on]
    chosen = special or [r for r in active if not is_special(r)]
    return sorted(chosen, key=lambda r: (r.sort, r.pay_amount, r.id or 0))


def instalment_schedule(total, months):
    """`total` fen in `months` monthly payouts that differ by at most one fen, the larger ones first."""
    if not months:
        return []
    base, extra = divmod(total, months)
    return [base + (1 if n < extra else 0) for n in range(months)]


@dataclass(frozen=True)
class Quote:
    amount: int  # what the member pays, fen
    items: dict  # the order's snapshot: what fulfilment gives


def quote_rule(rule):
    items = {"rule_id": rule.id, "principal": rule.pay_amount, "bonus": rule.bonus, "points": rule.points,
             "growth": rule.growth, "coupons": [dict(c) for c in rule.coupons],
             "instalments": {"total": rule.instalment_total, "months": rule.instalment_months,
                             "schedule": instalment_schedule(rule.instalment_total, rule.instalment_months)}}
    return Quote(rule.pay_amount, items)


def quote_custom(amount, *, allowed, custom_min, custom_max):
    """Any amount in the merchant's range, with no gifts (the tiers are where gifts live)."""
    if not allowed:
        raise DomainError("本店不支持自定义充值金额，请选择充值档位")
    if not isinstance(amount, int) or not custom_min <= amount <= custom_max:
        raise DomainError(f"充值金额须在 {short_yuan(custom_min)} 到 {short_yuan(custom_max)} 元之间")
    items = {"rule_id": None, "principal": amount, "bonus": 0, "points": 0, "growth": 0, "coupons": [],
             "instalments": {"total": 0, "months": 0, "schedule": []}}
    return Quote(amount, items)


def check_balance_cap(balance, items, max_balance):
    """A named card may not hold more than `max_balance`, counting the instalments still to come."""
    check_room(balance, items["principal"] + items["bonus"] + items["instalments"]["total"], max_balance,
               "充值后余额将超过上限 {cap} 元，请选择较小的金额")


def check_room(balance, adding, max_balance, message="存入后余额将超过上限 {cap} 元"):
    """A named card's balance after `adding` fen must stay within the merchant's cap (prepaid-card rules)."""
    if balance + adding > max_balance:
        raise Conflict(message.format(cap=short_yuan(max_balance)), balance=balance, max_balance=max_balance)


def preview(rule, coupon_titles):
    """'充 100 送 10，分 10 个月再返 900，赠 200 积分，赠 50 成长值，赠 2 张满100减20' for a tier."""
    parts = [f"充 {short_yuan(rule.pay_amount)}" + (f" 送 {short_yuan(rule.bonus)}" if rule.bonus else "")]
    if rule.instalment_total:
        parts.append(f"分 {rule.instalment_months} 个月再返 {short_yuan(rule.instalment_total)}")
    if rule.points:
        parts.append(f"赠 {rule.points} 积分")
    if rule.growth:
        parts.append(f"赠 {rule.growth} 成长值")
    for entry in rule.coupons:
        parts.append(f"赠 {entry['count']} 张{coupon_titles.get(entry['template_id'], '优惠券')}")
    return "，".join(parts)


def add_months(day, months):
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month0 + 1, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def instalments_due(paid_on, months, today):
    """How many of `months` monthly instalments are due by `today`: the n-th falls n months after payment."""
    return sum(1 for n in range(1, months + 1) if add_months(paid_on, n) <= today)
