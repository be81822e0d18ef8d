"""The pricing engine's vocabulary: what goes in (the order, the member's discounts, coupons and points, the
merchant's sharing rules) and what comes out (the itemised Quote). The rules are in domain/pricing.py."""
from dataclasses import dataclass

from domain.errors import DomainError

MAX_AMOUNT = 10**10
PRICED_KINDS = ("cash", "discount", "groupon")  # gift/ticket coupons take nothing off: never priced
MAX_COUPONS_TOGETHER = 3
MAX_CHOICE_COUPONS = 10  # what a page's picked offer may name, before the engine checks it


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

    def encode(self):
        """As a form value: '1:12,15:200' (level discount on, coupons 12 and 15, 200 points)."""
        return f"{int(self.use_level)}:{','.join(str(i) for i in self.coupon_ids)}:{self.points}"

    @classmethod
    def decode(cls, text):
        """The offer picked on a page, or None for the cheapest; anything malformed is refused, not guessed."""
        if not text:
            return None
        parts = text.split(":")
        ids = parts[1].split(",") if len(parts) == 3 and parts[1] else []
        if len(parts) != 3 or parts[0] not in ("0", "1") or not parts[2].isdigit() or len(parts[2]) > 9 \
                or len(ids) > MAX_CHOICE_COUPONS or not all(i.isdigit() and len(i) <= 12 for i in ids):
            raise PricingError("优惠选择不正确，请重新计算")
        return cls(use_level=parts[0] == "1", coupon_ids=tuple(int(i) for i in ids), points=int(parts[2]))


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
