"""Reward rules of a merchant: 支付后营销 and 会员消费优惠券 (after a payment), 开卡礼, 关注礼 and 升级礼 (gifts):
validated, saved (audited), copied, listed with their grant counts, switched on and off.

Only the owner or an admin changes them (`settings.manage`): a rule gives away points and coupons.
The rewards are kept as one JSON document so that a copy (一键复制) is a plain duplicate of the row. A gift rule
keeps only what applies to it: no stores, levels, minimum paid or limits (a gift is once per occasion anyway);
an upgrade gift names its level and gives no growth (growth could upgrade the member again).
"""
from sqlalchemy import func, select

from domain import roles
from domain.errors import DomainError, NotFound, PermissionDenied
from models import CardTemplate, CouponTemplate, Level, Store
from models.rewards import GIFT_KINDS, RULE_KINDS, RewardGrant, RewardRule
from services.merchant import audit
from services.shared.tenancy import get_owned, scoped
from services.shared.text import required_text

MAX_COUPONS = 5
MAX_COUNT = 10
MAX_POINTS = 1_000_000
FIELDS = ("kind", "name", "all_stores", "level_ids", "for_non_members", "min_paid", "rewards",
          "per_member_store_limit", "per_member_limit", "active", "starts_on", "ends_on", "level_id")


def _require_manager(actor):
    if not roles.can(actor.role, "settings.manage"):
        raise PermissionDenied("只有店主或管理员可以设置支付后营销")


def list_rules(session, merchant_id, kinds=RULE_KINDS):
    return session.scalars(scoped(RewardRule, merchant_id).where(RewardRule.kind.in_(kinds))
                           .order_by(RewardRule.kind, RewardRule.id)).all()


def grant_counts(session, merchant_id, rule_ids):
    """{rule id: how many times it was given (or made claimable)}, one query for a page of rules."""
    if not rule_ids:
        return {}
    rows = session.execute(select(RewardGrant.rule_id, func.count()).where(
        RewardGrant.merchant_id == merchant_id, RewardGrant.rule_id.in_(list(rule_ids))).group_by(RewardGrant.rule_id))
    return dict(rows.all())


def save(session, actor, rule_id, *, store_ids=(), ip=None, **values):
    """Create (rule_id None) or replace a rule after every check; refusals change nothing."""
    _require_manager(actor)
    clean = _checked(session, actor.merchant_id, values)
    stores = _stores(session, actor.merchant_id, clean["all_stores"], store_ids)
    row, before = _row(session, actor.merchant_id, rule_id)
    for name, value in clean.items():
        setattr(row, name, value)
    row.stores = stores
    session.flush()
    audit.record(session, actor, "reward_rule.save", "reward_rule", row.id, before=before, after=_snapshot(row), ip=ip)
    return row


def copy(session, actor, rule_id, ip=None):
    """一键复制: the same rule, switched off, named as a copy, for the merchant to adjust before enabling it."""
    _require_manager(actor)
    source = get_owned(session, RewardRule, actor.merchant_id, rule_id)
    row = RewardRule(merchant_id=actor.merchant_id, **{f: getattr(source, f) for f in FIELDS})
    row.name, row.active, row.stores = f"{source.name[:36]}-副本", False, list(source.stores)
    session.add(row)
    session.flush()
    audit.record(session, actor, "reward_rule.copy", "reward_rule", row.id, after={"from": source.id}, ip=ip)
    return row


def toggle(session, actor, rule_id, active, ip=None):
    _require_manager(actor)
    row = get_owned(session, RewardRule, actor.merchant_id, rule_id)
    before, row.active = row.active, bool(active)
    session.flush()
    audit.record(session, actor, "reward_rule.toggle", "reward_rule", row.id, before={"active": before},
                 after={"active": row.active}, ip=ip)
    return row


def _row(session, merchant_id, rule_id):
    if rule_id is None:
        row = RewardRule(merchant_id=merchant_id)
        session.add(row)
        return row, None
    row = get_owned(session, RewardRule, merchant_id, rule_id)
    return row, _snapshot(row)


def _snapshot(row):
    return {f: (_day_or_none(getattr(row, f)) if f in ("starts_on", "ends_on") else getattr(row, f)) for f in FIELDS} | {
        "store_ids": [s.id for s in row.stores]}


def _checked(session, merchant_id, values):
    kind = values.get("kind")
    if kind not in RULE_KINDS:
        raise DomainError("未知的营销类型")
    if kind in GIFT_KINDS:
        values = {**values, "all_stores": True, "level_ids": (), "for_non_members": False, "min_paid": 0,
                  "per_member_store_limit": None, "per_member_limit": None}
    min_paid = values.get("min_paid")
    if not isinstance(min_paid, int) or min_paid < 0:
        raise DomainError("最低实付金额不能为负数")
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期")
    return {"kind": kind, "name": required_text(values.get("name"), "名称", 40),
            "all_stores": bool(values.get("all_stores", True)),
            "level_ids": _levels(session, merchant_id, values.get("level_ids") or ()),
            "for_non_members": kind == "post_payment" and bool(values.get("for_non_members")),
            "min_paid": min_paid, "rewards": _rewards(session, merchant_id, kind, values.get("rewards") or {}),
            "per_member_store_limit": _limit(values.get("per_member_store_limit"), "每店每人奖励次数"),
            "per_member_limit": _limit(values.get("per_member_limit"), "每人奖励总次数"),
            "active": bool(values.get("active", True)), "starts_on": starts_on, "ends_on": ends_on,
            "level_id": _level_up_level(session, merchant_id, kind, values.get("level_id"))}


def _level_up_level(session, merchant_id, kind, level_id):
    if kind != "level_up":
        return None
    if not isinstance(level_id, int) or isinstance(level_id, bool):
        raise DomainError("请选择升级礼对应的会员等级")
    return _levels(session, merchant_id, [level_id])[0]


def _limit(value, label):
    if value is None:
        return None
    if not isinstance(value, int) or not 1 <= value <= 10_000:
        raise DomainError(f"{label}须在 1 到 10000 之间，不限请留空")
    return value


def _levels(session, merchant_id, level_ids):
    ids = sorted({int(i) for i in level_ids})
    found = session.scalars(select(Level.id).where(Level.merchant_id == merchant_id, Level.id.in_(ids))).all()
    if len(found) != len(ids):
        raise DomainError("所选会员等级不存在")
    return ids


def _stores(session, merchant_id, all_stores, store_ids):
    if all_stores:
        return []
    ids = {int(i) for i in store_ids}
    stores = session.scalars(select(Store).where(Store.merchant_id == merchant_id, Store.id.in_(ids))
                             .order_by(Store.id)).all() if ids else []
    if not stores or len(stores) != len(ids):
        raise DomainError("请选择适用门店")
    return stores


def check_rewards(session, merchant_id, rewards):
    """A campaign's rewards, checked like a payment rule's (up to 5 coupons, points, growth, count cards)."""
    return _rewards(session, merchant_id, "post_payment", rewards)


def _rewards(session, merchant_id, kind, rewards):
    points, growth = rewards.get("points") or 0, rewards.get("growth") or 0
    for value, label in ((points, "赠送积分"), (growth, "赠送成长值")):
        if not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
            raise DomainError(f"{label}须在 0 到 {MAX_POINTS} 之间")
    coupons = [_coupon(session, merchant_id, c) for c in rewards.get("coupons") or ()]
    if len(coupons) > MAX_COUPONS or len({c["template_id"] for c in coupons}) != len(coupons):
        raise DomainError(f"最多选择 {MAX_COUPONS} 种不同的优惠券")
    cards = [_count_card(session, merchant_id, c) for c in rewards.get("count_cards") or ()]
    if kind == "receipt_coupon":
        if len(coupons) != 1 or points or growth or cards:
            raise DomainError("会员消费优惠券规则须且只能选择一种优惠券")
        coupons[0]["count"] = 1
    elif not (points or growth or coupons or cards):
        raise DomainError("请至少设置一项奖励")
    elif kind == "level_up" and growth:
        raise DomainError("升级礼不能赠送成长值")
    return {"points": points, "growth": growth, "coupons": coupons, "count_cards": cards}


def _coupon(session, merchant_id, entry):
    template = _owned(session, CouponTemplate, merchant_id, entry.get("template_id"), "优惠券")
    if not template.active:
        raise DomainError(f"优惠券「{template.title}」已停止发放")
    count = entry.get("count", 1)
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise DomainError(f"每种优惠券赠送张数须在 1 到 {MAX_COUNT} 之间")
    return {"template_id": template.id, "count": count}


def _count_card(session, merchant_id, entry):
    template = _owned(session, CardTemplate, merchant_id, entry.get("template_id"), "次卡")
    if template.kind != "count" or template.disabled:
        raise DomainError(f"次卡「{template.title}」不可赠送")
    return {"template_id": template.id}


def _owned(session, model, merchant_id, template_id, label):
    try:
        return get_owned(session, model, merchant_id, template_id)
    except NotFound:
        raise DomainError(f"所选{label}不存在") from None


def _day_or_none(day):
    """A rule's date as the audit log keeps it: ISO text, or null when the rule has none (never the text "None")."""
    return day.isoformat() if day is not None else None
