"""The pricing engine's vocabulary: what goes in (the order, the member's discounts, coupons and points, the
merchant's sharing rules) and what comes out (the itemised Quote). The rules are in domain/pricing.py."""
from dataclasses import dataclass

from domain.errors import DomainError

MAX_AMOUNT = 10**10
PRICED_KINDS = ("cash", "discount", "groupon")  # gift/ticket coupons take nothing off: never priced
MAX_COUPONS_TOGETHER = 3


class PricingError(DomainError):
    """The input or the chosen combination of discounts is not valid; nothing is priced."""


@dataclass(frozen=True)
class Line:
    amount: int
    category: str = ""


@dataclass(frozen=True)
class CouponOffer:
    code_id: int
    kind: str
    title: str
    amount_off: int = 0
    discount_percent: int | None = None
    discount_cap: int | None = None
    min_spend: int = 0
    categories: tuple = ()


@dataclass(frozen=True)
class SharingRules:
    level_with_coupons: bool = False
    level_with_points: bool = False
    coupons_with_points: bool = False
    multiple_coupons: bool = False


@dataclass(frozen=True)
class PricingInput:
    amount: int
    lines: tuple = ()
    level_name: str = ""
    level_discount_percent: int = 100
    benefit_name: str = ""
    benefit_discount_percent: int = 100
    balance_discount_percent: int = 100
    points_available: int = 0
    points_per_yuan: int | None = None
    points_max_percent: int = 0
    coupons: tuple = ()
    sharing: SharingRules = SharingRules()
    random_min: int = 0
    random_max: int = 0
    seed: str = ""


@dataclass(frozen=True)
class Choice:
    use_level: bool = True
    coupon_ids: tuple = ()
    points: int = 0


@dataclass(frozen=True)
class Step:
    kind: str
    label: str
    amount: int
    detail: str


@dataclass(frozen=True)
class Quote:
    amount: int
    steps: tuple
    pay: int
    choice: Choice
    points_used: int
    coupon_ids: tuple
    alternatives: tuple = ()
