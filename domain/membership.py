"""Paid membership (付费会员): which level a member holds while a membership runs and which one they return to when
it ends (过期后身份), and what a membership plan must state.

A paid membership is a benefit card (domain/benefit_cards.py) the member sees as membership: its benefits apply at
the till like any benefit card's. Its level is a floor, never a cap: a plan never moves a member down when it
starts, and a member whose spending earns more than the plan gives keeps what they earned.
"""
from typing import Optional, Sequence

from domain.errors import DomainError
from domain.levels import LevelRule, MemberProgress, earned_level

def check_plan(price, valid_days, membership_level_id, after_expiry_level_id):
    """A plan costs money and ends (its renewal and 过期后身份 need an end); the identity after expiry only means
    something for a plan that gives a level."""
    if not price:
        _refuse("付费会员须设置价格", "price")
    if not valid_days:
        _refuse("付费会员须设置有效天数，例如 365 天", "valid_days")
    if after_expiry_level_id is not None and membership_level_id is None:
        _refuse("请先选择开通后的会员等级，再设置过期后身份", "after_expiry_level_id")
    if after_expiry_level_id is not None and after_expiry_level_id == membership_level_id:
        _refuse("过期后身份不能与开通后的等级相同", "after_expiry_level_id")


def _refuse(message, field):
    raise DomainError(message, fields={field: message})


def moves_up_to(current_rank: Optional[int], plan_rank: Optional[int]):
    """Whether starting a plan with a level of `plan_rank` moves a member now on `current_rank`: only upwards."""
    return plan_rank is not None and (current_rank is None or plan_rank > current_rank)


def level_after(rules: Sequence[LevelRule], progress: MemberProgress, floor: Optional[LevelRule]):
    """The level a member holds once a paid level is taken away: the higher of `floor` (the level another running
    plan gives, or the merchant's 过期后身份) and what their own figures earn; None when neither exists."""
    earned = earned_level(rules, progress)
    candidates = [rule for rule in (floor, earned) if rule is not None]
    return max(candidates, key=lambda rule: rule.rank) if candidates else None
