"""Free coupon claims credited to the channel the member came through (领券 in 渠道分析): a claim in H5 after a
join code, a share link, a campaign's or a mass message's link. Claims nobody brought are not written: the coupon
pages count those. Bought coupons are credited with their order (services/recruitment/payments.py)."""
from services.recruitment import attribution, tracked_links

EVENT = "coupon_claim"


def credit_claim(session, merchant_id, member_id, code_id, touch, now=None):
    """Record the claim of coupon code `code_id` for `touch`, once per code; True when this call recorded it."""
    if touch.source_id is None and touch.staff_id is None:
        return False
    return attribution.record(session, merchant_id, member_id, EVENT, key=f"coupon_code:{int(code_id)}",
                              touch=touch, reference=("coupon_code", int(code_id)), now=now)


def credit_send_claim(session, send, member_id, code_id):
    """The coupon a mass message carries is the send's, whatever link the member opened it from."""
    source = tracked_links.send_source(session, send)
    return credit_claim(session, send.merchant_id, member_id, code_id, attribution.Touch.of(source))
