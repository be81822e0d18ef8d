"""Points lots: when a lot expires, and which lots a spend draws from."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Optional, Sequence, Tuple

from domain.clock import local_midnight_utc, to_local
from domain.errors import DomainError, InsufficientPoints

EXPIRY_NEVER = "never"
EXPIRY_DAYS = "days"
EXPIRY_END_OF_YEAR_AFTER_NEXT = "end_of_year_after_next"
EXPIRY_MODES = (EXPIRY_NEVER, EXPIRY_DAYS, EXPIRY_END_OF_YEAR_AFTER_NEXT)
EXPIRY_LABELS = {
    EXPIRY_NEVER: "永久有效",
    EXPIRY_DAYS: "获得后 N 天内有效",
    EXPIRY_END_OF_YEAR_AFTER_NEXT: "获得后第二年年底清零",
}


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: int
    expires_at: Optional[datetime]
    created_at: datetime


def expiry_for(earned_at: datetime, mode: str, days: Optional[int], tz_name: str):
    """When a lot earned at `earned_at` expires (UTC), or None for never.

    Expiry falls at a local midnight so a member keeps points for the whole last day:
    - days: N whole days after the day of earning (earned 1 Mar, 30 days -> usable through 31 Mar);
    - end of the year after next: earned any day of 2026 -> usable through 31 Dec 2028.
    """
    if mode == EXPIRY_NEVER:
        return None
    local_day = to_local(earned_at, tz_name).date()
    if mode == EXPIRY_DAYS:
        if not days or days <= 0:
            raise DomainError("积分有效天数须为正整数")
        return local_midnight_utc(local_day + timedelta(days=days + 1), tz_name)
    if mode == EXPIRY_END_OF_YEAR_AFTER_NEXT:
        return local_midnight_utc(date(local_day.year + 3, 1, 1), tz_name)
    raise DomainError("未知的积分有效期规则", mode=mode)


def consumption_order(lots: Sequence[Lot]):
    """Soonest-expiring first; never-expiring last; older first among equals."""
    return sorted(lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.created_at, lot.created_at, lot.id))


def plan_draw(lots: Sequence[Lot], amount: int, now: datetime) -> List[Tuple[int, int]]:
    """Which lots to draw `amount` points from, as (lot_id, points) pairs."""
    if amount <= 0:
        raise DomainError("扣减积分须为正整数")
    live = [lot for lot in lots if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > now)]
    available = sum(lot.remaining for lot in live)
    if available < amount:
        raise InsufficientPoints(f"积分不足：可用 {available}，需要 {amount}", available=available, needed=amount)
    plan, left = [], amount
    for lot in consumption_order(live):
        take = min(lot.remaining, left)
        plan.append((lot.id, take))
        left -= take
        if left == 0:
            break
    return plan


def apply_multiplier(points: int, multiplier_tenths: int):
    """Points times a multiplier held in tenths (15 = 1.5x), rounded down: never give a fraction."""
    return points * multiplier_tenths // 10
