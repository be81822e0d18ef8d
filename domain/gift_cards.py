"""Gift card rules: physical card numbers and PINs, typed-number clean-up, status labels, transfer-link expiry.

Card numbers are 16 digits whose last digit is a Luhn check digit, so a mistyped digit is caught before any
look-up; the other 15 come from `secrets`. PINs are 8 digits from `secrets`.
"""
import secrets
from datetime import timedelta

from domain import cards
from domain.errors import DomainError

CARD_NO_LENGTH = 16
PIN_LENGTH = 8
TRANSFER_VALID_FOR = timedelta(hours=24)
PIN_TRIES_PER_HOUR = 5
PIN_TRY_WINDOW = timedelta(hours=1)
MAX_BATCH = 5000
ACTIVATIONS = ("auto", "phone")
ACTIVATION_LABELS = {"auto": "绑定即激活", "phone": "绑定后短信验证激活"}

# States in which the card still carries value for someone (a merchant may void it).
VOIDABLE = (cards.INACTIVE, cards.CLAIMED, cards.ACTIVE, cards.TRANSFERRING)


def luhn_digit(digits):
    """The check digit that makes `digits` + it pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: these become the odd positions once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number):
    return len(number) >= 2 and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def new_card_no():
    body = "".join(secrets.choice("0123456789") for _ in range(CARD_NO_LENGTH - 1))
    return body + luhn_digit(body)


def new_pin():
    return f"{secrets.randbelow(10 ** PIN_LENGTH):0{PIN_LENGTH}d}"


def normalise_card_no(text):
    """What a member typed -> 16 digits; spaces and dashes dropped. Refuses a number that fails its check digit."""
    raw = "".join((text or "").split()).replace("-", "")
    if len(raw) != CARD_NO_LENGTH or not raw.isdigit():
        raise DomainError("卡号应为 16 位数字")
    if not luhn_valid(raw):
        raise DomainError("卡号不正确，请核对后重新输入")
    return raw


def normalise_pin(text):
    raw = "".join((text or "").split())
    if len(raw) != PIN_LENGTH or not raw.isdigit():
        raise DomainError("密码应为 8 位数字")
    return raw


def format_card_no(number):
    """'6212345678901234' -> '6212 3456 7890 1234'."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4)) if number else ""


def state_label(state):
    return cards.state_label(cards.GIFT, state)


def transfer_expires_at(created_at):
    return created_at + TRANSFER_VALID_FOR


def transfer_expired(expires_at, now):
    return now >= expires_at


def why_not_spendable(state, ends_at, now, store_ok):
    """None when a card in this state may be spent in this store now; otherwise the reason, in Chinese."""
    if state == cards.TRANSFERRING:
        return "礼品卡转赠中，不能使用"
    if state != cards.ACTIVE:
        return f"礼品卡{state_label(state)}，不能使用"
    if ends_at is not None and now >= ends_at:
        return "礼品卡已过期"
    if not store_ok:
        return "该礼品卡不能在本门店使用"
    return None


def check_face_values(values):
    """A list of distinct positive amounts in fen, sorted; at least one."""
    cleaned = sorted({int(v) for v in values or ()})
    if not cleaned:
        raise DomainError("请至少设置一个面值")
    if any(v <= 0 for v in cleaned):
        raise DomainError("面值须大于 0")
    if len(cleaned) > 20:
        raise DomainError("面值最多 20 个")
    return cleaned
