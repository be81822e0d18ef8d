"""Coupons: kinds, the code state machine, unguessable codes, validity windows and usable hours."""
import base64
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional, Sequence

from domain.clock import local_midnight_utc, to_local
from domain.errors import Conflict, DomainError

KINDS = ("cash", "discount", "gift", "groupon", "ticket")
KIND_LABELS = {"cash": "代金券", "discount": "折扣券", "gift": "兑换券", "groupon": "团购券", "ticket": "门票"}

AVAILABLE, USED, EXPIRED, TRANSFERRED, VOIDED = "available", "used", "expired", "transferred", "voided"
STATES = (AVAILABLE, USED, EXPIRED, TRANSFERRED, VOIDED)
STATE_LABELS = {AVAILABLE: "可使用", USED: "已使用", EXPIRED: "已过期", TRANSFERRED: "已转赠", VOIDED: "已作废"}
# Where a code came from (models.coupons.CHANNELS), as the back office's lists and reports name it.
CHANNEL_LABELS = {
    "follow_gift": "关注有礼", "menu": "公众号菜单", "poster_qr": "海报二维码", "receipt_qr": "小票二维码",
    "staff": "员工发放", "mass_message": "群发消息", "template_message": "模板消息", "shop_qr": "店内二维码",
    "points_exchange": "积分兑换", "purchase": "购买", "h5": "会员中心", "bulk": "批量发放", "friend": "好友转赠",
    "referral": "邀请奖励", "campaign": "营销活动",
}
# Every allowed move of a code; anything else is refused. `used -> available` is the short undo window.
TRANSITIONS = {
    AVAILABLE: frozenset({USED, EXPIRED, TRANSFERRED, VOIDED}),
    USED: frozenset({AVAILABLE}),
    EXPIRED: frozenset(),
    TRANSFERRED: frozenset(),
    VOIDED: frozenset(),
}

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from a receipt is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 symbols x 5 bits = 80 bits from `secrets`
_TYPING_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_FROM_RFC_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)


def can_move(current, target):
    return target in TRANSITIONS.get(current, frozenset())


def move(current, target):
    """The new state, or Conflict saying why the code cannot go there."""
    if not can_move(current, target):
        raise Conflict(f"券码当前状态为「{STATE_LABELS.get(current, current)}」，不能变为「{STATE_LABELS.get(target, target)}」",
                       current=current, target=target)
    return target


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_codes(count):
    """`count` codes at once for a bulk issue: 10 bytes (80 bits) of `secrets` each, read as 16 base32 symbols.
    A million take about half a second where `new_code` takes thirty."""
    text = base64.b32encode(secrets.token_bytes(10 * count)).decode("ascii").translate(_FROM_RFC_BASE32)
    return [text[i:i + CODE_LENGTH] for i in range(0, CODE_LENGTH * count, CODE_LENGTH)]


def format_code(code):
    """'ABCD1234EFGH5678' -> 'ABCD 1234 EFGH 5678', in groups of four for reading aloud."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(text):
    """What a cashier typed -> the stored form: no spaces or dashes, upper case, O/I/L read as 0/1."""
    raw = "".join((text or "").split()).replace("-", "").upper().translate(_TYPING_FIXES)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        raise DomainError("券码格式不正确，应为 16 位字母和数字")
    return raw


@dataclass(frozen=True)
class Validity:
    """Fixed dates (valid_from..valid_until, local dates, inclusive), or N days from claim after M days."""

    mode: str  # fixed | relative
    valid_from: Optional[date] = None
    valid_until: Optional[date] = None
    days: Optional[int] = None
    after_days: int = 0


def window(validity: Validity, claimed_at: datetime, tz_name: str):
    """(starts_at, ends_at) in UTC for a code claimed at `claimed_at`; ends_at is exclusive."""
    if validity.mode == "fixed":
        if not validity.valid_from or not validity.valid_until or validity.valid_until < validity.valid_from:
            raise DomainError("请设置正确的有效期起止日期")
        return (local_midnight_utc(validity.valid_from, tz_name),
                local_midnight_utc(validity.valid_until + timedelta(days=1), tz_name))
    if validity.mode == "relative":
        if not validity.days or validity.days <= 0 or validity.after_days < 0:
            raise DomainError("请设置领取后的有效天数")
        first_day = to_local(claimed_at, tz_name).date() + timedelta(days=validity.after_days)
        starts = claimed_at if validity.after_days == 0 else local_midnight_utc(first_day, tz_name)
        return starts, local_midnight_utc(first_day + timedelta(days=validity.days), tz_name)
    raise DomainError("未知的有效期类型")


def usable_at(moment: datetime, tz_name: str, weekdays: Sequence[int] = (), start_minute=None, end_minute=None):
    """Whether the local weekday (0 = Monday) and time of day are allowed. Empty means any."""
    local = to_local(moment, tz_name)
    if weekdays and local.weekday() not in weekdays:
        return False
    if start_minute is None or end_minute is None:
        return True
    minute = local.hour * 60 + local.minute
    return start_minute <= minute < end_minute


def why_not_usable(state, starts_at, ends_at, now, store_ok, time_ok):
    """The first reason a code cannot be used here and now, or None."""
    if state != AVAILABLE:
        return f"该券{STATE_LABELS.get(state, state)}"
    if now < starts_at:
        return "该券尚未到可用时间"
    if now >= ends_at:
        return "该券已过期"
    if not store_ok:
        return "该券不能在本门店使用"
    if not time_ok:
        return "该券当前时段不可用"
    return None
