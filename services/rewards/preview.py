"""The one sentence under a reward rule form that says what the rule does, e.g.
"会员在任意门店单笔实付满 ¥50 后，获得 100 积分和 1 张「满50减10」".

Pure: the caller passes names (stores, levels, coupons, cards) already resolved, so the back office builds it from
the form's own choices, both when the page loads and when the browser asks again as fields change.
"""
from dataclasses import dataclass, field

from domain.money import format_yuan


@dataclass
class RuleSketch:
    kind: str
    store_names: list = field(default_factory=list)  # empty: every store
    level_names: list = field(default_factory=list)  # empty: every level
    for_non_members: bool = False
    min_paid: int = 0  # fen
    points: int = 0
    growth: int = 0
    coupons: list = field(default_factory=list)  # [(title, count)]
    card_names: list = field(default_factory=list)
    level_up_name: str = ""
    per_member_limit: int | None = None


def sentence(rule):
    gifts = _gifts(rule)
    if rule.kind == "receipt_coupon":
        coupon = f"「{rule.coupons[0][0]}」" if rule.coupons else "优惠券"
        return f"{_who(rule)}在{_where(rule)}单笔实付满 ¥{_yuan(rule.min_paid)} 后，小票打印一张{coupon}领取二维码"
    if not gifts:
        gifts = "……（请设置奖励）"
    if rule.kind == "registration":
        return f"新会员领取会员卡后，获得 {gifts}"
    if rule.kind == "follow":
        return f"粉丝关注公众号后，获得 {gifts}（尚未开卡的粉丝在领取会员卡时到账）"
    if rule.kind == "level_up":
        level = f"「{rule.level_up_name}」" if rule.level_up_name else "所选等级"
        return f"会员首次升级到{level}时，获得 {gifts}（每个等级仅一次）"
    limit = f"，每人最多 {rule.per_member_limit} 次" if rule.per_member_limit else ""
    walk_in = "（非会员扫小票二维码领卡后领取）" if rule.for_non_members else ""
    return (f"{_who(rule)}在{_where(rule)}单笔实付满 ¥{_yuan(rule.min_paid)} 后，获得 {gifts}"
            f"{limit}{walk_in}")


def _yuan(fen):
    text = format_yuan(fen)
    return text[:-3] if text.endswith(".00") else text


def _who(rule):
    return f"{'、'.join(rule.level_names)}会员" if rule.level_names else "会员"


def _where(rule):
    return f"「{'、'.join(rule.store_names)}」" if rule.store_names else "任意门店"


def _gifts(rule):
    parts = [f"{rule.points} 积分"] if rule.points else []
    parts += [f"{rule.growth} 成长值"] if rule.growth else []
    parts += [f"{count} 张「{title}」" for title, count in rule.coupons]
    parts += [f"次卡「{name}」" for name in rule.card_names]
    if len(parts) < 2:
        return "".join(parts)
    last = parts[-1]
    return f"{'、'.join(parts[:-1])}和{' ' if last[0].isdigit() else ''}{last}"
