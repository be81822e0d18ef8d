"""Member levels: the merchant's ladder, automatic upgrades, manual changes."""
from dataclasses import dataclass

from sqlalchemy import select

from domain import levels as rules
from domain.errors import Conflict, DomainError
from models import Level, LevelChange, Member
from services.card_push import pending as card_push
from services.merchant import audit
from services.shared import merchant_memory
from services.wechat import notices
from services.points import ledger as points
from services.rewards import gifts as gift_rules
from services.shared.tenancy import get_owned, scoped
from services.shared.text import optional_text, required_text

FIELDS = ("rank", "name", "min_spend", "min_visits", "min_topup", "min_growth", "discount_percent",
          "points_multiplier_tenths", "benefits_note")


def list_levels(session, merchant_id):
    return session.scalars(scoped(Level, merchant_id).order_by(Level.rank)).all()


def base_level(session, merchant_id):
    return session.scalars(scoped(Level, merchant_id).order_by(Level.rank).limit(1)).first()


def save_level(session, actor, level, *, rank, name, min_spend=None, min_visits=None, min_topup=None,
               min_growth=None, discount_percent=100, points_multiplier_tenths=10, benefits_note=None):
    """Create (level=None) or update a level of the actor's merchant."""
    merchant_id = actor.merchant_id if actor is not None else level.merchant_id
    name = required_text(name, "等级名称", 40)
    _check_range(rank, 0, 1000, "等级序号")
    _check_range(discount_percent, 1, 100, "折扣")
    _check_range(points_multiplier_tenths, 0, 100, "积分倍数")
    for value, label, high in ((min_spend, "累计消费", 10**12), (min_visits, "消费次数", 10**6),
                               (min_topup, "累计充值", 10**12), (min_growth, "成长值", 10**12)):
        if value is not None:
            _check_range(value, 0, high, label)
    _check_unique(session, merchant_id, level, rank=rank, name=name)
    creating = level is None
    before = {} if creating else audit.snapshot(level, FIELDS)
    if creating:
        level = Level(merchant_id=merchant_id)
        session.add(level)
    level.rank, level.name = rank, name
    level.min_spend, level.min_visits, level.min_topup = min_spend, min_visits, min_topup
    level.min_growth = min_growth
    level.discount_percent, level.points_multiplier_tenths = discount_percent, points_multiplier_tenths
    level.benefits_note = optional_text(benefits_note, "等级权益说明", 500)
    session.flush()
    after = audit.snapshot(level, FIELDS)
    if actor is not None:
        if creating:
            audit.record(session, actor, "level.create", "level", level.id, after=after)
        else:
            audit.record(session, actor, "level.update", "level", level.id, *audit.changed_only(before, after))
    return level


def apply_upgrade(session, member, levels=None):
    """Move the member up if their figures now reach a higher level. Never moves down. Returns the new level."""
    levels = levels if levels is not None else list_levels(session, member.merchant_id)
    current_rank = member.level.rank if member.level is not None else None
    progress = rules.MemberProgress.of(member)
    target = rules.upgrade_target(current_rank, [lv.to_rule() for lv in levels], progress)
    if target is None:
        return None
    new_level = next(lv for lv in levels if lv.id == target.id)
    _change(session, member, new_level, reason="auto" if member.level_id else "join")
    return new_level


def set_level_manually(session, actor, member, level_id, note):
    """A manager sets a member's level by hand, up or down; always audited."""
    level = get_owned(session, Level, member.merchant_id, level_id)
    if level.id == member.level_id:
        raise Conflict("会员已是该等级")
    note = required_text(note, "调整原因", 200)
    before = {"level_id": member.level_id}
    _change(session, member, level, reason="manual", note=note, operator=actor)
    audit.record(session, actor, "member.set_level", "member", member.id, before,
                 {"level_id": level.id, "note": note})
    return level


def move_for_membership(session, member, level, reason):
    """A paid membership (services/cards/membership_levels.py) starts or ends: the member moves to `level`, with
    its history row. Automatic upgrades only go up, so none takes a running membership's level away."""
    _change(session, member, level, reason=reason)


def reevaluate_members(session, merchant_id, batch_size=500):
    """Upgrade every member whose figures reach a higher level (after the merchant edits thresholds)."""
    levels = list_levels(session, merchant_id)
    upgraded, last_id = 0, 0
    while True:
        members = session.scalars(
            scoped(Member, merchant_id).where(Member.id > last_id).order_by(Member.id).limit(batch_size)
        ).all()
        if not members:
            return upgraded
        for member in members:
            upgraded += apply_upgrade(session, member, levels) is not None
        last_id = members[-1].id
        session.flush()


def history_of(session, merchant_id, member_id):
    return session.scalars(
        select(LevelChange).where(LevelChange.merchant_id == merchant_id, LevelChange.member_id == member_id)
        .order_by(LevelChange.id.desc())
    ).all()


def _change(session, member, level, *, reason, note=None, operator=None):
    # The member's row first (the lock order; a no-op when the caller holds it, as payments do): two changes of
    # one member then run one after the other instead of deadlocking between the history row and the update.
    points.lock_member(session, member.merchant_id, member.id)
    if member.level_id == level.id:
        return  # a concurrent request moved the member here a moment ago
    previous = member.level
    change = LevelChange(merchant_id=member.merchant_id, member_id=member.id, from_level_id=member.level_id,
                         to_level_id=level.id, reason=reason, note=note,
                         operator_id=operator.id if operator is not None else None)
    session.add(change)
    member.level = level
    session.flush()
    card_push.member_changed(session, member.merchant_id, member.id)
    notices.level_changed(session, member, previous, level, change)
    if previous is None or level.rank > previous.rank:
        # Every way up counts as reaching the level (join, payment, top-up, growth, a manager's hand).
        gift_rules.level_reached(session, member, level)


def _check_range(value, low, high, label):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(f"{label}须在 {low} 到 {high} 之间")


def _check_unique(session, merchant_id, level, **values):
    for column, value in values.items():
        query = scoped(Level, merchant_id).where(getattr(Level, column) == value)
        if level is not None:
            query = query.where(Level.id != level.id)
        if session.scalars(query).first():
            raise Conflict("已有相同序号或名称的等级")


merchant_memory.watch(Level, "level_ladder")


@dataclass(frozen=True)
class LevelFacts:
    """What the till prices and earns by, of one level (remembered per process with the ladder)."""

    id: int
    rank: int
    name: str
    discount_percent: int
    points_multiplier_tenths: int
    rule: rules.LevelRule


def ladder(session, merchant_id):
    """The merchant's levels as LevelFacts by rank, remembered per process: every till payment asks."""
    return merchant_memory.recall("level_ladder", merchant_id, lambda: tuple(
        LevelFacts(lv.id, lv.rank, lv.name, lv.discount_percent, lv.points_multiplier_tenths, lv.to_rule())
        for lv in list_levels(session, merchant_id)))


def facts_of(session, member):
    """The member's level as LevelFacts (None without a level), without loading the Level row."""
    return next((lv for lv in ladder(session, member.merchant_id) if lv.id == member.level_id), None)


def upgrade_due(session, member):
    """Whether apply_upgrade would move the member up, from the remembered ladder: every till payment asks, and
    almost none moves anyone."""
    current = facts_of(session, member)
    ranks = [lv.rule for lv in ladder(session, member.merchant_id)]
    return rules.upgrade_target(current.rank if current else None, ranks, rules.MemberProgress.of(member)) is not None
