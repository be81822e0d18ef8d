"""Points exchange: a member spends points for a coupon, at the price set for their level.

Everything happens under the member's row lock (taken first), so two exchanges at once see each other's
spending; the coupon (stock, limit) and the points (lots) move in one transaction or not at all.
"""
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, InsufficientPoints
from models import CouponCode, CouponTemplate
from services.coupons import issue as coupon_issue
from services.shared import idempotency
from services.points import ledger as points
from services.shared.tenancy import get_owned

def price_for(template, level_id):
    """Points this level pays, or None when the level may not exchange (missing or 0)."""
    value = (template.points_prices or {}).get(str(level_id)) if level_id is not None else None
    return int(value) if value else None


def exchange(session, merchant, template_id, member_id, *, key, now=None):
    """Spend the member's points for one code of the template. Returns the code; a retry with the key replays."""
    idempotency.check_key(key)
    now = now or now_utc()
    member = points.lock_member(session, merchant.id, member_id)
    code_key = f"{key}:coupon"
    earlier = idempotency.find_existing(session, CouponCode, merchant.id, code_key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, template_id=int(template_id), member_id=member.id)
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not template.active:
        raise Conflict("该券已停止发放")
    price = price_for(template, member.level_id)
    if price is None:
        raise DomainError("您的等级不能兑换该券")
    if member.points_balance < price:
        raise InsufficientPoints(f"积分不足，需要 {price} 积分", needed=price, balance=member.points_balance)
    code = coupon_issue.claim(session, merchant, template.id, member.id, channel="points_exchange", key=code_key,
                              now=now)
    points.spend(session, merchant, member.id, price, key=f"{key}:points", reason=f"兑换优惠券：{template.title}",
                 reference=("coupon_code", code.id), now=now)
    return code
