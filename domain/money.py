"""Money is integer fen. These helpers parse and format it without ever using float."""
import re
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import DomainError

MAX_FEN = 10**12  # ten billion yuan: far beyond any single amount, far within BIGINT


# Plain ASCII digits, optional thousands commas in the right places, at most two decimals.
_AMOUNT = re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?$")


def parse_yuan(text):
    """'12.3' -> 1230 fen. Rejects negatives, exponents, more than two decimals and anything else odd."""
    raw = (text or "").strip().lstrip("¥￥").strip()
    if len(raw) > 20 or not _AMOUNT.match(raw):
        raise DomainError("金额须为不超过两位小数的非负数，如 12.50", value=text)
    value = Decimal(raw.replace(",", ""))
    fen = int(value * 100)
    if fen > MAX_FEN:
        raise DomainError("金额过大", value=text)
    return fen


def format_yuan(fen):
    """1230 -> '12.30'; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{part:02d}"


def mul_ratio_half_up(amount, numerator, denominator):
    """amount * numerator / denominator rounded half up, in integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = Decimal(amount) * Decimal(numerator) / Decimal(denominator)
    return int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))
