"""The coupon a send carries (群发投放优惠券): a member who received the send claims it from the message's link,
once per send. The claim's idempotency key is `send:{send}:{member}`, and the code is noted on the member's
recipient row, which is where the report finds the send's coupons."""
from sqlalchemy import select

from domain.errors import DomainError, NotFound
from models import CouponCode, CouponTemplate, Send, SendRecipient
from services.coupons import issue as coupon_issue
from services.outreach import recipients
from services.shared.tenancy import get_owned

CHANNEL = "mass_message"
RECEIVED = ("sent", "delivered")


def offer(session, merchant_id, send_id, member_id):
    """(send, coupon template, the code already claimed or None) for a member of the send's audience."""
    send = get_owned(session, Send, merchant_id, send_id)
    if send.coupon_template_id is None:
        raise NotFound("该群发没有优惠券")
    template = get_owned(session, CouponTemplate, merchant_id, send.coupon_template_id)
    recipient = _recipient(session, send, member_id)
    return send, template, _code(session, recipient)


def claim(session, merchant, send_id, member_id, now=None):
    """The member's code of the send's coupon: issued once, under a lock on their recipient row."""
    send, template, _earlier = offer(session, merchant.id, send_id, member_id)
    recipient = _recipient(session, send, member_id, lock=True)
    if recipient is None or recipient.status not in RECEIVED:
        raise DomainError("这张券只发给收到这条消息的会员")
    code = _code(session, recipient)
    if code is None:
        code = coupon_issue.claim(session, merchant, template.id, member_id, channel=CHANNEL,
                                  key=f"send:{send.id}:{int(member_id)}", issued_by=None, now=now)
        recipient.coupon_code_id = code.id
        session.flush()
    return code


def _recipient(session, send, member_id, lock=False):
    query = select(SendRecipient).where(*recipients.of_send(send), SendRecipient.member_id == member_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def _code(session, recipient):
    if recipient is None or recipient.coupon_code_id is None:
        return None
    return session.get(CouponCode, recipient.coupon_code_id)
