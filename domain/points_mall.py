"""The points mall's rules (积分商城, seed 004 3.9): exchange states and their moves, the level price map, the
pick-up code's shape and the limits a gift's form is checked against."""
from domain import coupons as code_rules
from domain.errors import DomainError

PENDING, HANDED_OVER, CANCELLED, EXPIRED = "pending", "handed_over", "cancelled", "expired"
STATES = (PENDING, HANDED_OVER, CANCELLED, EXPIRED)
STATE_LABELS = {PENDING: "待领取", HANDED_OVER: "已领取", CANCELLED: "已取消", EXPIRED: "已过期"}
# Only an unclaimed exchange moves, and only once: handed over, cancelled (points back) or expired (points back).
MOVES = {PENDING: (HANDED_OVER, CANCELLED, EXPIRED)}

MAX_POINTS_PRICE = 10_000_000
MAX_STOCK = 1_000_000
MAX_PER_MEMBER = 1000
MAX_NAME = 40
MAX_NUMBER = 20
MAX_DESCRIPTION = 500
# The pick-up code has the coupon code's shape (domain/coupons.py: 16 symbols x 5 bits = 80 bits from `secrets`),
# so the till's one code box and the verification interface read it like any other code.
PICKUP_CODE_LENGTH = code_rules.CODE_LENGTH


def state_label(state):
    return STATE_LABELS.get(state, state)


def can_move(state, to):
    return to in MOVES.get(state, ())


def price_for(prices, level_id):
    """Points this level pays, or None when the level may not exchange (0 or not set)."""
    if level_id is None:
        return None
    value = (prices or {}).get(str(level_id))
    return int(value) if value else None


def clean_prices(prices, level_ids):
    """{level_id str: points} for the merchant's levels only; each price a whole number 0..MAX_POINTS_PRICE."""
    cleaned = {}
    for level_id in level_ids:
        raw = (prices or {}).get(str(level_id), 0)
        try:
            value = int(raw or 0)
        except (TypeError, ValueError):
            raise DomainError("兑换积分须为整数") from None
        if value < 0 or value > MAX_POINTS_PRICE:
            raise DomainError(f"兑换积分须在 0 到 {MAX_POINTS_PRICE} 之间")
        cleaned[str(level_id)] = value
    if not any(cleaned.values()):
        raise DomainError("请至少为一个等级设置兑换积分")
    return cleaned


def new_pickup_code():
    return code_rules.new_code()
