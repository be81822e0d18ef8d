"""储值折上折: the more a member holds in stored value, the bigger the discount when paying with it.

Rules are (minimum balance in fen, discount in tenths: 80 = 8折), regular or for a special period of local
dates. On a day covered by special-period rules only those apply (a holiday replaces the everyday table);
the best rule the balance reaches wins. The checkout (pricing) applies the rate; this module only chooses it.
"""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from domain.errors import DomainError

MAX_RULES = 20


@dataclass(frozen=True)
class Rule:
    min_balance: int  # fen
    discount_percent: int  # 80 = 8折
    starts_on: Optional[date] = None  # both None = every day
    ends_on: Optional[date] = None

    @property
    def special(self):
        return self.starts_on is not None

    def covers(self, day):
        return self.starts_on <= day <= self.ends_on


def check(rule: Rule):
    """The rule, or DomainError saying what is wrong with it."""
    if not isinstance(rule.min_balance, int) or rule.min_balance <= 0:
        raise DomainError("余额门槛须大于 0")
    if not isinstance(rule.discount_percent, int) or not 1 <= rule.discount_percent <= 99:
        raise DomainError("折扣须在 0.1 到 9.9 折之间")
    if (rule.starts_on is None) != (rule.ends_on is None):
        raise DomainError("特殊时段须同时设置开始和结束日期")
    if rule.starts_on is not None and rule.ends_on < rule.starts_on:
        raise DomainError("特殊时段的结束日期不能早于开始日期")
    return rule


def in_force(rules, day: date):
    """The rules that apply on `day`: that day's special-period rules if there are any, else the regular ones."""
    special = [r for r in rules if r.special and r.covers(day)]
    return special or [r for r in rules if not r.special]


def rate_for(balance: int, rules, day: date):
    """The discount (tenths, 80 = 8折) a balance earns on `day`, or None when no rule is reached."""
    reached = [r.discount_percent for r in in_force(rules, day) if balance >= r.min_balance]
    return min(reached) if reached else None


def describe(rule: Rule):
    """'余额满 ¥100 享 8 折' — for the editor's preview and the member's page."""
    whole, part = divmod(rule.min_balance, 100)
    amount = f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)
    tenths, rest = divmod(rule.discount_percent, 10)
    rate = f"{tenths}.{rest}" if rest else str(tenths)
    period = f"（{rule.starts_on:%m-%d} 至 {rule.ends_on:%m-%d}）" if rule.special else ""
    return f"余额满 ¥{amount} 享 {rate} 折{period}"
