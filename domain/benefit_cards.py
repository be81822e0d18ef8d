"""Benefit cards (权益卡): what a card grants, which benefits are in force, and how a second purchase extends one.

A member may hold several benefit cards at once; at the till the best of each benefit applies (the lowest
discount percent, the highest points multiplier, every free item). A card outside its validity grants nothing,
so after expiry the member is simply back on their level's benefits.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from domain.cards import ACTIVE
from domain.errors import DomainError

MAX_FREE_ITEMS, MAX_FREE_ITEM_LENGTH = 10, 40
MAX_PACK_ENTRIES, MAX_PACK_COUNT = 10, 10
MAX_VALID_DAYS = 3650
MULTIPLIER_RANGE = (100, 1000)  # percent: 100 = normal points, 1000 = ten times
DISCOUNT_RANGE = (1, 99)  # percent paid: 90 = 9折


@dataclass(frozen=True)
class Benefits:
    """Benefits in force. discount_percent None = no discount; points_multiplier is a percent (100 = normal)."""

    discount_percent: int | None = None
    points_multiplier: int = 100
    free_items: tuple = field(default_factory=tuple)

    @property
    def empty(self):
        return self.discount_percent is None and self.points_multiplier == 100 and not self.free_items


def best_of(grants):
    """Combine the benefits of several cards: lowest discount, highest multiplier, all free items once each."""
    discounts = [g.discount_percent for g in grants if g.discount_percent is not None]
    items = []
    for grant in grants:
        items.extend(item for item in grant.free_items if item not in items)
    return Benefits(discount_percent=min(discounts) if discounts else None,
                    points_multiplier=max([100] + [g.points_multiplier or 100 for g in grants]),
                    free_items=tuple(items))


def in_force(state, starts_at, ends_at, now):
    """Whether a card grants its benefits at this moment (state alone is not enough: expiry is not written eagerly)."""
    return (state == ACTIVE and (starts_at is None or starts_at <= now)
            and (ends_at is None or ends_at > now))


def new_end(current_end, now, valid_days):
    """When a card bought now ends. Bought while one is running, it starts from that card's end."""
    if valid_days is None:
        return None
    start = current_end if current_end is not None and current_end > now else now
    return start + timedelta(days=valid_days)


def check_discount(percent):
    if percent is not None and not DISCOUNT_RANGE[0] <= percent <= DISCOUNT_RANGE[1]:
        raise DomainError("折扣须在 0.1 到 9.9 折之间")
    return percent


def check_multiplier(percent):
    if percent is not None and not MULTIPLIER_RANGE[0] <= percent <= MULTIPLIER_RANGE[1]:
        raise DomainError("积分倍数须在 1 到 10 倍之间")
    return percent


def check_free_items(items):
    cleaned = [str(item).strip() for item in items or () if str(item).strip()]
    if len(cleaned) > MAX_FREE_ITEMS:
        raise DomainError(f"免费项目最多 {MAX_FREE_ITEMS} 项")
    if any(len(item) > MAX_FREE_ITEM_LENGTH for item in cleaned):
        raise DomainError(f"每个免费项目不能超过 {MAX_FREE_ITEM_LENGTH} 个字")
    return cleaned


def check_gift_pack(entries):
    """[{"template_id": id, "count": n}] with positive counts, each coupon template once."""
    pack = []
    for entry in entries or ():
        try:
            template_id, count = int(entry["template_id"]), int(entry["count"])
        except (KeyError, TypeError, ValueError):
            raise DomainError("礼包内容不正确") from None
        if not 1 <= count <= MAX_PACK_COUNT:
            raise DomainError(f"礼包中每种券须为 1 到 {MAX_PACK_COUNT} 张")
        if any(e["template_id"] == template_id for e in pack):
            raise DomainError("礼包中同一种券只能出现一次")
        pack.append({"template_id": template_id, "count": count})
    if len(pack) > MAX_PACK_ENTRIES:
        raise DomainError(f"礼包最多包含 {MAX_PACK_ENTRIES} 种券")
    return pack


def check_valid_days(days):
    if days is not None and not 1 <= days <= MAX_VALID_DAYS:
        raise DomainError(f"有效天数须在 1 到 {MAX_VALID_DAYS} 之间")
    return days


def check_refund_amount(with_money, amount, price_paid):
    """The amount to record: 0 without money; 0..price paid with money (a free card has nothing to refund)."""
    if not with_money:
        if amount:
            raise DomainError("不退款时退款金额须为 0")
        return 0
    if not price_paid:
        raise DomainError("该卡未付费，只能选择不退款退卡")
    if amount is None or not 0 <= amount <= price_paid:
        raise DomainError("退款金额须在 0 到实付金额之间")
    return amount
