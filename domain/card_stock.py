"""Physical member cards (制卡/发卡): their states and the moves between them, how a batch's numbers look (card
number, magnetic-stripe number, barcode, PIN), and what a typed or scanned number is cleaned to.

A card number is the merchant's prefix (up to 8 letters or digits) and 12 digits whose last is a Luhn check digit,
so a mistyped digit is caught before any look-up; it is never 11 digits, so the till never takes it for a mobile.
The stripe carries its own 18-digit number (a photo of the card does not reveal it); the barcode is an EAN-13 in
the in-store range (starting with 2). PINs are 6 digits. Every random digit comes from `secrets`.
"""
import re
import secrets

from domain.errors import DomainError

STATES = ("made", "issued", "active", "lost", "returned")
STATE_LABELS = {"made": "已制卡", "issued": "已发卡", "active": "已激活", "lost": "已挂失", "returned": "已退卡"}
MOVES = {
    "made": ("issued", "active"),
    "issued": ("active", "returned"),
    "active": ("lost", "returned"),
    "lost": ("returned",),
    "returned": (),
}
# Cards a staff member may still hand to a member: bound at the counter they become active.
ISSUABLE = ("made", "issued")

BATCH_STATUSES = ("making", "done", "failed")
BATCH_STATUS_LABELS = {"making": "制卡中", "done": "已完成", "failed": "制卡失败"}
MAX_BATCH = 50_000
INLINE_MAX = 2_000  # a batch up to this size is made in the request; a larger one by a job, chunk by chunk
CHUNK = 5_000
MAX_NAME = 40
MAX_PREFIX = 8
BODY_DIGITS = 12  # of a card number, after the prefix, the check digit included
TRACK_DIGITS = 18
PIN_LENGTH = 6
MAX_TYPED = 40  # the longest number a card carries (stripe data with its sentinels stripped)
PREFIX_SHAPE = re.compile(r"^[A-Z0-9]{0,8}$")
STRIPE_SENTINELS = ";?%"  # what a keyboard-wedge stripe reader wraps track data in


def can_move(state, to):
    return to in MOVES.get(state, ())


def state_label(state):
    return STATE_LABELS.get(state, state)


def refusal(state, to):
    """Why a card in `state` cannot move to `to`, in the words staff read."""
    return f"该卡当前为「{state_label(state)}」，不能变为「{state_label(to)}」"


def check_batch(name, quantity, prefix):
    """(name, quantity, prefix) cleaned, or a DomainError naming the field."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise DomainError(f"批次名称不能为空且不超过 {MAX_NAME} 个字", field="name")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_BATCH:
        raise DomainError(f"制卡数量须在 1 到 {MAX_BATCH:,} 张之间", field="quantity")
    prefix = (prefix or "").strip().upper()
    if not PREFIX_SHAPE.match(prefix):
        raise DomainError(f"卡号前缀只能是不超过 {MAX_PREFIX} 位的字母或数字", field="prefix")
    return name, quantity, prefix


def luhn_digit(digits):
    """The check digit that makes `digits` + it pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: these become the odd positions once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def ean13_digit(digits):
    """The EAN-13 check digit of 12 digits (weights 1, 3, 1, 3, … from the left)."""
    total = sum(int(char) * (3 if position % 2 else 1) for position, char in enumerate(digits))
    return str((10 - total % 10) % 10)


def _random_digits(count):
    """`count` uniformly random digits, leading zeros kept (one draw, not one per digit: batches draw millions)."""
    return f"{secrets.randbelow(10 ** count):0{count}d}"


def new_card_no(prefix=""):
    body = _random_digits(BODY_DIGITS - 1)
    return f"{prefix}{body}{luhn_digit(body)}"


def card_no_valid(number, prefix=""):
    """A number this batch shape makes: the prefix, then 12 digits passing the Luhn test."""
    body = number[len(prefix):] if number.startswith(prefix) else ""
    return len(body) == BODY_DIGITS and body.isdigit() and luhn_digit(body[:-1]) == body[-1]


def new_track_no():
    return _random_digits(TRACK_DIGITS)


def new_barcode():
    body = "2" + _random_digits(11)
    return body + ean13_digit(body)


def new_pin():
    return f"{secrets.randbelow(10 ** PIN_LENGTH):0{PIN_LENGTH}d}"


def clean_number(text):
    """What staff typed, scanned or swiped -> the number alone: spaces, dashes and stripe sentinels dropped,
    letters upper-cased. Refuses anything else."""
    raw = "".join((text or "").split()).replace("-", "").strip(STRIPE_SENTINELS).upper()
    if not raw:
        raise DomainError("请输入或扫描实体卡号", field="card_no")
    if len(raw) > MAX_TYPED or not raw.isascii() or not raw.isalnum():
        raise DomainError("卡号只能是不超过 40 位的字母或数字", field="card_no")
    return raw


def pin_matches(expected, typed):
    """Constant time, so a wrong PIN's timing says nothing about its digits."""
    return bool(expected) and secrets.compare_digest(expected.encode(), "".join((typed or "").split()).encode())


def format_card_no(number):
    """'VIP123456789012' -> 'VIP 1234 5678 9012': the prefix, then the digits in fours."""
    if not number:
        return ""
    digits = len(number) - BODY_DIGITS
    head, body = (number[:digits], number[digits:]) if digits > 0 else ("", number)
    groups = " ".join(body[i:i + 4] for i in range(0, len(body), 4))
    return f"{head} {groups}" if head else groups
