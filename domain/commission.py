"""Staff commission (业务员提成): the kinds of earnings, the arithmetic in integer fen and basis points, the limits
of a merchant's rule, and the share of an earning a refund takes back."""
import re
from decimal import Decimal

from domain.errors import DomainError

ENTRY_KINDS = ("new_member", "topup", "card_sale", "guided_spend", "reversal")
ENTRY_KIND_LABELS = {"new_member": "拉新", "topup": "充值提成", "card_sale": "售卡提成",
                     "guided_spend": "导购会员消费", "reversal": "退款冲回"}
EARNING_KINDS = ENTRY_KINDS[:4]

# Order kinds a staff member earns the card-sale rate on; top-ups earn the top-up rate.
CARD_ORDER_KINDS = ("gift_card", "timed_card", "count_card", "benefit_card")

MAX_PER_NEW_MEMBER = 1_000_000  # fen: ¥10,000 for one new member is already far beyond any real rule
MAX_RATE_BP = 10_000  # 100%
MAX_GUIDED_DAYS = 3650

_PERCENT = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,2})?$")


def share_of(amount_fen, rate_bp):
    """`rate_bp` basis points of an amount, rounded half up to the fen (commission never exceeds the base)."""
    if amount_fen <= 0 or rate_bp <= 0:
        return 0
    return (amount_fen * rate_bp + 5000) // 10000


def parse_percent(text):
    """'1.5' (or '1.5%') -> 150 basis points; at most two decimals, 0 to 100. Blank is 0."""
    raw = (text or "").strip().rstrip("%％").strip()
    if not raw:
        return 0
    if len(raw) > 6 or not _PERCENT.match(raw):
        raise DomainError("比例须为 0 到 100 之间、最多两位小数的数字，如 1.5", value=text)
    bp = int(Decimal(raw) * 100)
    if bp > MAX_RATE_BP:
        raise DomainError("比例不能超过 100%", value=text)
    return bp


def percent_text(bp):
    """150 -> '1.5', 1000 -> '10', 125 -> '1.25' (without the % sign, as a form shows it)."""
    whole, part = divmod(int(bp or 0), 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


def check_rule(*, enabled, per_new_member, topup_bp, card_sale_bp, guided_spend_bp, guided_spend_days):
    """The whole rule or a DomainError naming the field; a guided-spend rate needs its number of days."""
    for name, value in (("per_new_member", per_new_member), ("topup_bp", topup_bp), ("card_sale_bp", card_sale_bp),
                        ("guided_spend_bp", guided_spend_bp), ("guided_spend_days", guided_spend_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DomainError("提成规则的金额、比例和天数须为非负整数", field=name)
    if per_new_member > MAX_PER_NEW_MEMBER:
        raise DomainError("每拉新一位会员的提成不能超过 ¥10000", field="per_new_member")
    rates = {"topup_bp": topup_bp, "card_sale_bp": card_sale_bp, "guided_spend_bp": guided_spend_bp}
    for name, rate in rates.items():
        if rate > MAX_RATE_BP:
            raise DomainError("提成比例不能超过 100%", field=name)
    if guided_spend_bp > 0 and not 1 <= guided_spend_days <= MAX_GUIDED_DAYS:
        raise DomainError(f"导购会员消费提成须填写绑定后的天数（1 到 {MAX_GUIDED_DAYS} 天）", field="guided_spend_days")
    if guided_spend_days > MAX_GUIDED_DAYS:
        raise DomainError(f"天数不能超过 {MAX_GUIDED_DAYS} 天", field="guided_spend_days")
    return bool(enabled)


def reversal_due(earned, reversed_so_far, refunded_total, base):
    """What a refund takes back of an earning, on the running total refunded: the earning's share of everything
    refunded so far, less what earlier refunds took, so partial refunds add up to the whole and the reversals never
    exceed the earning. `reversed_so_far` is a positive amount."""
    if earned <= 0 or base <= 0 or refunded_total <= 0:
        return 0
    target = earned if refunded_total >= base else earned * refunded_total // base
    return max(0, min(target, earned) - reversed_so_far)
