"""The coupon a send carries (群发投放优惠券): a member who received the send claims it from the message's link,
once per send (the claim's idempotency key is `send:{send}:{member}`, which is also how the report finds it)."""
from sqlalchemy import select

from domain.errors import DomainError, NotFound
from models import CouponCode, CouponTemplate, Send, SendRecipient
from services.coupons import issue as coupon_issue
from services.outreach.report import coupon_key_prefix
from services.shared.tenancy import get_owned, scoped

CHANNEL = "mass_message"


def offer(session, merchant_id, send_id, member_id):
    """(send, coupon template, the code already claimed or None) for a member of the send's audience."""
    send = get_owned(session, Send, merchant_id, send_id)
    if send.coupon_template_id is None:
        raise NotFound("该群发没有优惠券")
    template = get_owned(session, CouponTemplate, merchant_id, send.coupon_template_id)
    code = session.scalars(scoped(CouponCode, merchant_id).where(
        CouponCode.idempotency_key == _key(send.id, member_id))).one_or_none()
    return send, template, code


def claim(session, merchant, send_id, member_id, now=None):
    send, template, code = offer(session, merchant.id, send_id, member_id)
    if code is not None:
        return code
    received = session.scalar(select(SendRecipient.id).where(
        SendRecipient.merchant_id == merchant.id, SendRecipient.send_id == send.id, SendRecipient.member_id == member_id,
        SendRecipient.status.in_(("sent", "delivered"))))
    if received is None:
        raise DomainError("这张券只发给收到这条消息的会员")
    return coupon_issue.claim(session, merchant, template.id, member_id, channel=CHANNEL,
                              key=_key(send.id, member_id), issued_by=None, now=now)


def _key(send_id, member_id):
    return f"{coupon_key_prefix(send_id)}{int(member_id)}"
