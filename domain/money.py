"""Money is integer fen. These helpers parse and format it without ever using float."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import DomainError

MAX_FEN = 10**12  # ten billion yuan: far beyond any single amount, far within BIGINT


def parse_yuan(text):
    """'12.3' -> 1230 fen. At most two decimals; rejects negatives, floats in disguise and junk."""
    raw = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise DomainError("金额格式不正确", value=text) from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
        raise DomainError("金额须为不超过两位小数的非负数", value=text)
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
