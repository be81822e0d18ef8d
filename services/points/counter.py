"""手动增减积分 at the counter (seed 000 §6): who may add or deduct a member's points on the staff page, and the
adjustment itself through the points ledger.

The merchant switches adding and deducting on apart in 收银设置; with a switch on, the counter roles
(points.counter_adjust: owner, admin, operator, cashier) may do it, in a store they work in; verifiers and guides
never. The back office's own adjustment (points.adjust) does not depend on these switches.
"""
from dataclasses import dataclass

from domain.errors import DomainError, PermissionDenied
from services.points import ledger
from services.till import settings as till_settings

PERMISSION = "points.counter_adjust"
MAX_POINTS = ledger.MAX_POINTS_PER_CHANGE
MAX_REASON_LENGTH = ledger.MAX_REASON_LENGTH
ADD, DEDUCT = "add", "deduct"


@dataclass(frozen=True)
class CounterPoints:
    """What the signed-in staff member may do with a member's points here."""

    may_add: bool
    may_deduct: bool

    @property
    def any(self):
        return self.may_add or self.may_deduct


NOTHING = CounterPoints(False, False)


def allowed(session, actor):
    """The directions this staff member may adjust at the counter, by role and the merchant's switches."""
    if not actor.can(PERMISSION):
        return NOTHING
    switches = till_settings.till_settings(session, actor.merchant_id)
    return CounterPoints(bool(switches.staff_add_points), bool(switches.staff_deduct_points))


def refusal(session, actor, direction):
    """None when the actor may adjust in this direction; otherwise why not, in the staff member's words."""
    if not actor.can(PERMISSION):
        return "您的角色不能调整会员积分，请联系店长"
    rights = allowed(session, actor)
    if direction == ADD and not rights.may_add:
        return "本店未开启店员手动增加积分，请联系店长在后台「收银设置」开启"
    if direction == DEDUCT and not rights.may_deduct:
        return "本店未开启店员手动扣减积分，请联系店长在后台「收银设置」开启"
    if direction not in (ADD, DEDUCT):
        return "请选择增加或扣减积分"
    return None


def adjust(session, actor, member_id, direction, points, *, key, reason, store_id):
    """Add or deduct `points` for the member in the actor's merchant, at the given store; the ledger refuses a
    deduction beyond the balance, and a replay of `key` returns the first transaction (applied once)."""
    why_not = refusal(session, actor, direction)
    if why_not is not None:
        raise PermissionDenied(why_not)
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= MAX_POINTS:
        raise DomainError(f"积分须为 1 到 {MAX_POINTS} 之间的整数")
    delta = points if direction == ADD else -points
    return ledger.adjust(session, actor.merchant, member_id, delta, key=key, reason=reason, operator=actor,
                         store_id=store_id)
