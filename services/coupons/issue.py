"""Issuing coupon codes to members (staff, a link or QR, bulk, points exchange, a purchase, a gift pack or a reward).

Issuing takes stock with a conditional update and counts a member's codes under their row lock: it never reads,
decides, then writes.
"""
from sqlalchemy import func, select, update

from domain import coupons as rules
from domain.clock import now_utc, until_text
from domain.errors import Conflict, DomainError
from models import CouponCode, CouponTemplate
from models.coupons import CHANNELS
from services.alipay_vouchers import hooks as alipay_vouchers
from services.coupons import templates as coupon_templates
from services.shared import idempotency
from services.shared.tenancy import get_owned
from services.wechat import notices


def claim(session, merchant, template_id, member_id, *, channel, key, issued_by=None, stock_reserved=False, now=None,
          notify=True):
    """Issue one code of a template to a member. Refuses when stock or the member's limit is used up.

    `stock_reserved`: a paid order (services.orders.card_sales) already took the code from stock and counted it against
    the member's limit when it was created; the code is issued without counting either again.
    """
    if channel not in CHANNELS:
        raise DomainError("未知的领取渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member, earlier = idempotency.lock_member_for_issue(session, merchant.id, member_id, CouponCode, key, template_id)
    if earlier is not None:
        return earlier
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not stock_reserved:
        _check_and_take(session, template, member.id)
    starts_at, ends_at = rules.window(coupon_templates.validity(template), now, merchant.timezone)
    code = CouponCode(merchant_id=merchant.id, template_id=template.id, member_id=member.id, code=rules.new_code(),
                      state=rules.AVAILABLE, channel=channel, idempotency_key=key, starts_at=starts_at,
                      ends_at=ends_at, created_at=now, issued_by_id=issued_by.id if issued_by else None)
    session.add(code)
    session.flush()
    alipay_vouchers.code_issued(session, merchant.id, template.id, code.id)  # a job after the commit
    if notify:  # (a card's gift pack: the card's own notice says it)
        notices.coupon_received(session, merchant, code, template.title, until_text(ends_at, merchant.timezone))
    return code


def claim_free(session, merchant, template_id, member_id, *, channel, key, now=None):
    """A member's own claim (H5, a link or QR): only templates offered free; points and money have their own way."""
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not template.free_claim:
        raise Conflict("该券需要购买" if template.price else "该券需要积分兑换，请在领券中心兑换")
    return claim(session, merchant, template.id, member_id, channel=channel, key=key, now=now)


def _check_and_take(session, template, member_id):
    if not template.active:
        raise Conflict("该券已停止发放")
    if template.per_member_limit is not None and _held(session, template.id, member_id) >= template.per_member_limit:
        raise Conflict(f"每人限领 {template.per_member_limit} 张，您已领完")
    _take_stock(session, template)


def _held(session, template_id, member_id):
    return session.scalar(select(func.count(CouponCode.id))
                          .where(CouponCode.template_id == template_id, CouponCode.member_id == member_id))


def _take_stock(session, template):
    taken = session.execute(
        update(CouponTemplate).where(CouponTemplate.id == template.id,
                                     (CouponTemplate.stock_total.is_(None))
                                     | (CouponTemplate.stock_issued < CouponTemplate.stock_total))
        .values(stock_issued=CouponTemplate.stock_issued + 1).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict("券已领完")
    session.expire(template, ["stock_issued"])
