"""Cards a member holds: kinds, the state machine of each kind, and their Chinese labels.

One `cards` row is one issued card of any kind; which states it may pass through depends on the kind.
Count and timed card rules (uses, daily limits, extension) and gift card rules build on these tables.
"""
from domain.errors import Conflict

COUNT, TIMED, GIFT, BENEFIT = "count", "timed", "gift", "benefit"
KINDS = (COUNT, TIMED, GIFT, BENEFIT)
KIND_LABELS = {COUNT: "次卡", TIMED: "时长卡", GIFT: "礼品卡", BENEFIT: "权益卡"}

# States shared by the kinds; a kind uses the subset its transition table names.
INACTIVE = "inactive"  # gift: physical card not yet sold/bound (未激活)
CLAIMED = "claimed"  # gift: bound to a member, waiting for phone activation (已领取未激活)
PENDING = "pending"  # timed: bought, not started yet (starts at first use or after N days)
ACTIVE = "active"
TRANSFERRING = "transferring"  # gift: a transfer link is open; the giver cannot spend
TRANSFERRED = "transferred"
USED_UP = "used_up"
EXPIRED = "expired"
VOIDED = "voided"
REFUNDED = "refunded"
STATES = (INACTIVE, CLAIMED, PENDING, ACTIVE, TRANSFERRING, TRANSFERRED, USED_UP, EXPIRED, VOIDED, REFUNDED)

STATE_LABELS = {
    INACTIVE: "未激活", CLAIMED: "已领取未激活", PENDING: "未开始", ACTIVE: "已激活", TRANSFERRING: "转赠中",
    TRANSFERRED: "已转赠", USED_UP: "已用完", EXPIRED: "已过期", VOIDED: "已作废", REFUNDED: "已退卡",
}
# A count/timed/benefit card that is "active" reads better as 使用中 than 已激活.
ACTIVE_LABEL_BY_KIND = {COUNT: "使用中", TIMED: "使用中", GIFT: "已激活", BENEFIT: "生效中"}

TRANSITIONS = {
    COUNT: {
        ACTIVE: frozenset({USED_UP, EXPIRED, VOIDED, REFUNDED}),
        USED_UP: frozenset({ACTIVE}),  # undo of the last use within the undo window
    },
    TIMED: {
        PENDING: frozenset({ACTIVE, VOIDED, REFUNDED, EXPIRED}),
        ACTIVE: frozenset({EXPIRED, VOIDED, REFUNDED}),
    },
    GIFT: {
        INACTIVE: frozenset({CLAIMED, ACTIVE, VOIDED}),
        CLAIMED: frozenset({ACTIVE, VOIDED}),
        ACTIVE: frozenset({TRANSFERRING, USED_UP, VOIDED}),
        TRANSFERRING: frozenset({ACTIVE, TRANSFERRED, VOIDED}),
        USED_UP: frozenset({ACTIVE}),  # undo of the spend that emptied it
    },
    BENEFIT: {
        ACTIVE: frozenset({EXPIRED, VOIDED, REFUNDED}),
    },
}


def state_label(kind, state):
    if state == ACTIVE:
        return ACTIVE_LABEL_BY_KIND.get(kind, STATE_LABELS[ACTIVE])
    return STATE_LABELS.get(state, state)


def can_move(kind, current, target):
    return target in TRANSITIONS.get(kind, {}).get(current, frozenset())


def move(kind, current, target):
    """The new state, or Conflict saying why this card cannot go there."""
    if not can_move(kind, current, target):
        raise Conflict(f"{KIND_LABELS.get(kind, '卡')}当前状态为「{state_label(kind, current)}」，"
                       f"不能变为「{state_label(kind, target)}」", current=current, target=target)
    return target
