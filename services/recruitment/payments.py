"""What a payment means for recruitment: an invited member's first payment (it rewards the inviters), a guided
member's spending (the guide's commission), an order credited to the source and staff member it came through.
Called by the till (services/till/payment.py, only for members with a referrer or a guide: the till is timed) and
by order settlement (services/orders/settlement.py) inside their transaction. Reports find first payments of
everyone else from the payments themselves."""
from models import CardTemplate
from services.recruitment import attribution, commission, referrals

# order kind -> the attribution event it records
ORDER_EVENTS = {"topup": "topup", "gift_card": "card_purchase", "timed_card": "card_purchase",
                "count_card": "card_purchase", "benefit_card": "card_purchase", "coupon": "coupon_claim"}


def after_till_payment(session, merchant, member, checkout, *, first_visit, now):
    """`first_visit`: the member had no visit before this payment (read before the till counted it)."""
    if first_visit and checkout.pay > 0:
        _first_payment_of_invitee(session, merchant, member, checkout.pay, ("checkout", checkout.id), now)
    commission.for_guided_spend(session, merchant, member, checkout, now=now)


def after_order_paid(session, merchant, order, now):
    event = ORDER_EVENTS.get(order.kind)
    if order.kind == "benefit_card" and _is_paid_membership(session, order):
        event = "paid_membership"
    if event is not None:
        attribution.record(session, merchant.id, order.member_id, event, key=f"order:{order.id}",
                           touch=attribution.order_touch(session, order), reference=("order", order.id),
                           amount=order.amount, now=now)
    commission.for_order(session, merchant, order, now=now)
    if order.member is not None:
        _first_payment_of_invitee(session, merchant, order.member, order.amount, ("order", order.id), now)


def _first_payment_of_invitee(session, merchant, member, amount, reference, now):
    """An invited member's first payment is recorded once and rewards their inviters."""
    if member.referrer_id is None:
        return
    if attribution.first_payment(session, merchant.id, member.id, amount=amount, reference=reference, now=now):
        referrals.on_first_payment(session, merchant, member, now=now)


def _is_paid_membership(session, order):
    """A benefit card order of a paid membership plan (付费会员): the template says so (it is in the session already,
    fulfilment just read it)."""
    template_id = (order.items or {}).get("template_id")
    template = session.get(CardTemplate, template_id) if isinstance(template_id, int) else None
    return template is not None and template.merchant_id == order.merchant_id and template.membership
