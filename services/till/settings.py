"""The till's settings of a merchant (sharing rules, points deduction, 随机立减, earning, referral shares), its
多倍积分日, and the referrer chain that receives referral points."""
from dataclasses import make_dataclass

from sqlalchemy import func, select

from domain import earning, roles
from domain.errors import DomainError, PermissionDenied
from models import Member
from models.checkout import CheckoutSettings, PointsMultiplierDay
from services.merchant import audit
from services.shared import merchant_memory
from services.shared.tenancy import get_owned, scoped

SETTING_FIELDS = ("level_with_coupons", "level_with_points", "coupons_with_points", "multiple_coupons",
                  "points_per_yuan", "points_max_percent", "random_min", "random_max", "earn_base", "earn_per_yuan",
                  "multipliers_compound", "referral_levels", "referral_percent", "staff_add_points",
                  "staff_deduct_points")
SHARING_FIELDS = SETTING_FIELDS[:4]
COUNTER_POINTS_FIELDS = ("staff_add_points", "staff_deduct_points")  # 手动增减积分 on the staff page
# Seed 000: level discount, coupons and points are not combined unless the merchant says so; deduction off.
DEFAULTS = {"level_with_coupons": False, "level_with_points": False, "coupons_with_points": False,
            "multiple_coupons": False, "points_per_yuan": None, "points_max_percent": 50, "random_min": 0,
            "random_max": 0, "earn_base": "paid", "earn_per_yuan": 1, "multipliers_compound": False,
            "referral_levels": 0, "referral_percent": 10, "staff_add_points": False, "staff_deduct_points": False}


def settings_of(session, merchant_id):
    """The merchant's row; a merchant that never saved any gets the defaults (created here, flushed)."""
    row = session.scalars(scoped(CheckoutSettings, merchant_id)).one_or_none()
    if row is None:
        row = CheckoutSettings(merchant_id=merchant_id, **DEFAULTS)
        session.add(row)
        session.flush()
    return row


# What the till reads of the settings on every quote and payment: plain values, remembered per process.
TillSettings = make_dataclass("TillSettings", SETTING_FIELDS, frozen=True)
merchant_memory.watch(CheckoutSettings, "till_settings")
merchant_memory.watch(PointsMultiplierDay, "till_days")


def till_settings(session, merchant_id):
    """The settings as the till uses them; the defaults while the merchant never saved any (nothing created)."""
    def load():
        row = session.scalars(scoped(CheckoutSettings, merchant_id)).one_or_none()
        return TillSettings(**{name: getattr(row, name) if row else DEFAULTS[name] for name in SETTING_FIELDS})

    return merchant_memory.recall("till_settings", merchant_id, load)


def till_days(session, merchant_id):
    """The active 多倍积分日 as domain values, remembered per process."""
    return merchant_memory.recall("till_days", merchant_id,
                                  lambda: tuple(as_day(row) for row in multiplier_days(session, merchant_id)))


def _require_manager(actor):
    if not roles.can(actor.role, "settings.manage"):
        raise PermissionDenied("只有店主或管理员可以修改收银设置")


def save(session, actor, ip=None, **values):
    """Replace every setting at once (the form sends them all), after the domain checks; audited."""
    _require_manager(actor)
    missing = [name for name in SETTING_FIELDS if name not in values]
    if missing:
        raise DomainError("收银设置不完整", missing=missing)
    values = {name: values[name] for name in SETTING_FIELDS}
    switches = SHARING_FIELDS + COUNTER_POINTS_FIELDS + ("multipliers_compound",)
    earning.check_settings(**{k: v for k, v in values.items() if k not in switches})
    row = settings_of(session, actor.merchant_id)
    before = {name: getattr(row, name) for name in SETTING_FIELDS}
    for name, value in values.items():
        setattr(row, name, bool(value) if isinstance(before[name], bool) else value)
    session.flush()
    changed_before, changed_after = audit.changed_only(before, {n: getattr(row, n) for n in SETTING_FIELDS})
    if changed_after:
        audit.record(session, actor, "checkout.settings", "checkout_settings", row.id, changed_before, changed_after,
                     ip=ip)
    return row


# --- 多倍积分日 ---------------------------------------------------------------------------------------------

def multiplier_days(session, merchant_id, active_only=True):
    query = scoped(PointsMultiplierDay, merchant_id)
    if active_only:
        query = query.where(PointsMultiplierDay.active.is_(True))
    return session.scalars(query.order_by(PointsMultiplierDay.weekday.is_not(None), PointsMultiplierDay.starts_on,
                                          PointsMultiplierDay.weekday, PointsMultiplierDay.id)).all()


def as_day(row):
    return earning.MultiplierDay(row.label, row.multiplier_tenths, row.starts_on, row.ends_on, row.weekday)


def _count_kind(session, merchant_id, weekly, except_id):
    query = select(func.count()).select_from(PointsMultiplierDay).where(
        PointsMultiplierDay.merchant_id == merchant_id, PointsMultiplierDay.weekday.is_not(None) if weekly
        else PointsMultiplierDay.weekday.is_(None))
    if except_id is not None:
        query = query.where(PointsMultiplierDay.id != except_id)
    return session.scalar(query)


def _check_room(session, merchant_id, day, except_id):
    """At most 10 date ranges (issue 6) and 7 weekday rules, counting the stopped ones: they can be restarted."""
    weekly = day.weekday is not None
    limit = earning.MAX_WEEKDAY_RULES if weekly else earning.MAX_DATE_RANGES
    if _count_kind(session, merchant_id, weekly, except_id) >= limit:
        raise DomainError(f"每周规则最多 {limit} 条" if weekly else f"日期范围最多设置 {limit} 个")


def save_multiplier_day(session, actor, day_id, *, label, multiplier_tenths, starts_on=None, ends_on=None,
                        weekday=None, active=True, ip=None):
    """Create (day_id None) or update one of the actor's merchant's multiplier days."""
    _require_manager(actor)
    day = earning.check_day(earning.MultiplierDay((label or "").strip(), multiplier_tenths, starts_on, ends_on,
                                                  weekday))
    row = get_owned(session, PointsMultiplierDay, actor.merchant_id, day_id) if day_id is not None else None
    _check_room(session, actor.merchant_id, day, day_id)
    before = earning.describe_day(as_day(row)) if row is not None else None
    if row is None:
        row = PointsMultiplierDay(merchant_id=actor.merchant_id)
        session.add(row)
    row.label, row.multiplier_tenths, row.weekday = day.label, day.multiplier_tenths, day.weekday
    row.starts_on, row.ends_on, row.active = day.starts_on, day.ends_on, bool(active)
    session.flush()
    audit.record(session, actor, "checkout.multiplier_day.save", "points_multiplier_day", row.id,
                 before={"day": before} if before else None,
                 after={"day": earning.describe_day(as_day(row)), "active": row.active}, ip=ip)
    return row


def delete_multiplier_day(session, actor, day_id, ip=None):
    _require_manager(actor)
    row = get_owned(session, PointsMultiplierDay, actor.merchant_id, day_id)
    audit.record(session, actor, "checkout.multiplier_day.delete", "points_multiplier_day", row.id,
                 before={"day": earning.describe_day(as_day(row))}, ip=ip)
    session.delete(row)
    session.flush()


# --- referral --------------------------------------------------------------------------------------------

def referrer_chain(session, member, levels):
    """The member's referrer, their referrer, ... up to `levels` members of the same merchant, stopping at a repeat
    (a cycle cannot be saved any more, but rows from before that rule must not loop a payment forever)."""
    chain, seen, current = [], {member.id}, member
    while len(chain) < levels and current.referrer_id is not None and current.referrer_id not in seen:
        current = session.scalars(scoped(Member, member.merchant_id)
                                  .where(Member.id == current.referrer_id)).one_or_none()
        if current is None:
            break
        chain.append(current)
        seen.add(current.id)
    return chain
