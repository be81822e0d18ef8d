"""Earning commission (业务员提成): the entries a staff member earns for a new member, for the top-ups and card
sales they brought in and for their guided members' spending, and the reversals refunds write.

Every entry is inserted once under its key (unique per merchant), so a retried request, a second notification or
two fulfilments at once earn once. Earning runs inside the transaction of the event that earns (the join, the
order's fulfilment, the till payment); a refund's reversal runs inside the refund's, after the order or checkout
row is locked, so two refunds of one order read each other's reversals and never take back more than was earned.
"""
from datetime import timedelta

from sqlalchemy import func, select

from domain import commission as rules
from domain.clock import now_utc
from domain.money import format_yuan
from models import Staff
from models.commission import CommissionEntry
from services.recruitment import attribution, commission_rules
from services.shared.insert_once import insert_once


def for_join(session, merchant, member, touch, now=None):
    """The recruiter's fee for a new member (拉新): once per member, to the staff member the join is credited to."""
    rule = commission_rules.rule_for_earning(session, merchant.id)
    if not rule.enabled or rule.per_new_member <= 0 or touch.staff_id is None:
        return None
    if not _earning_staff(session, merchant.id, touch.staff_id):
        return None
    return _earn(session, merchant.id, f"commission:join:{member.id}", staff_id=touch.staff_id, kind="new_member",
                 amount=rule.per_new_member, base=0, rate=None, member_id=member.id, reference=("member", member.id),
                 note="拉新会员", now=now)


def for_order(session, merchant, order, now=None):
    """The share of a top-up or a card sale the staff member behind the order brought in (at the counter, or by
    their link): the top-up rate of the principal paid, the card-sale rate of a card's price."""
    rule = commission_rules.rule_for_earning(session, merchant.id)
    if not rule.enabled:
        return None
    if order.kind == "topup":
        kind, rate = "topup", rule.topup_bp
    elif order.kind in rules.CARD_ORDER_KINDS:
        kind, rate = "card_sale", rule.card_sale_bp
    else:
        return None
    amount = rules.share_of(order.amount, rate)
    if amount <= 0:
        return None
    staff_id = attribution.order_touch(session, order).staff_id
    if staff_id is None or not _earning_staff(session, merchant.id, staff_id):
        return None
    return _earn(session, merchant.id, f"commission:order:{order.id}", staff_id=staff_id, kind=kind, amount=amount,
                 base=order.amount, rate=rate, member_id=order.member_id, reference=("order", order.id),
                 note=order.description[:200] if order.description else None, now=now)


def for_guided_spend(session, merchant, member, checkout, now=None):
    """The guide's share of what a guided member paid at the till, within the rule's days after the guide was bound.
    The till calls this only for members with a guide or a referrer, so ordinary payments never come here."""
    if member.guide_id is None or member.guide_bound_at is None or checkout.pay <= 0:
        return None
    rule = commission_rules.rule_for_earning(session, merchant.id)
    if not rule.enabled or rule.guided_spend_bp <= 0:
        return None
    now = now or now_utc()
    if now >= member.guide_bound_at + timedelta(days=rule.guided_spend_days):
        return None
    amount = rules.share_of(checkout.pay, rule.guided_spend_bp)
    if amount <= 0 or not _earning_staff(session, merchant.id, member.guide_id):
        return None
    return _earn(session, merchant.id, f"commission:checkout:{checkout.id}", staff_id=member.guide_id,
                 kind="guided_spend", amount=amount, base=checkout.pay, rate=rule.guided_spend_bp,
                 member_id=member.id, reference=("checkout", checkout.id), note="导购会员门店消费", now=now)


def reverse_for_order_refund(session, order, refund, now=None):
    """A refund of (part of) an order takes back its share of what the order earned. Called with the order row
    locked, before the refunded amount is counted on it: this refund comes on top of `order.refunded_amount`."""
    return _reverse(session, order.merchant_id, ("order", order.id), f"commission:order:{order.id}",
                    refunded_total=order.refunded_amount + refund.amount, base=order.amount,
                    key=f"commission:refund:order:{refund.id}", note=f"订单退款 ¥{format_yuan(refund.amount)}", now=now)


def restore_after_failed_refund(session, order, refund, now=None):
    """A top-up refund the channel failed leaves the money with the member (services/orders/refund_results.py puts
    it back into their stored value), so the top-up stands again: what that refund took back is earned again."""
    taken = session.scalars(select(CommissionEntry).where(
        CommissionEntry.merchant_id == order.merchant_id,
        CommissionEntry.key == f"commission:refund:order:{refund.id}")).one_or_none()
    if taken is None or taken.amount >= 0:
        return None
    return _earn(session, order.merchant_id, f"commission:refund-failed:order:{refund.id}", staff_id=taken.staff_id,
                 kind="reversal", amount=-taken.amount, base=taken.base_amount, rate=taken.rate_bp,
                 member_id=taken.member_id, reference=("order", order.id),
                 note=f"退款失败 ¥{format_yuan(refund.amount)}，提成恢复", now=now)


def reverse_for_card_refund(session, card, refund, order_id, now=None):
    """A benefit card bought online and taken back on its own page with money handed back offline: the sale's
    earning goes back in proportion to what was handed back. (An order refund closes the card itself and takes
    back through reverse_for_order_refund; a card is refunded only once, so this amount is all of it.)"""
    return _reverse(session, card.merchant_id, ("order", order_id), f"commission:order:{order_id}",
                    refunded_total=refund.amount, base=card.price_paid or 0,
                    key=f"commission:refund:card:{refund.id}", note=f"退卡退款 ¥{format_yuan(refund.amount)}", now=now)


def reverse_for_checkout_refund(session, checkout, refund, refunded_total, now=None):
    """A refund of (part of) a till payment takes back its share of what the guide earned on it. `refunded_total`:
    the checkout's refunded amount with this refund counted (its conditional UPDATE holds the checkout's row)."""
    if checkout.member_id is None:  # a walk-in payment has no guide: nothing was earned on it
        return None
    return _reverse(session, checkout.merchant_id, ("checkout", checkout.id), f"commission:checkout:{checkout.id}",
                    refunded_total=refunded_total, base=checkout.pay,
                    key=f"commission:refund:checkout:{refund.id}", note=f"收银退款 ¥{format_yuan(refund.amount)}",
                    now=now)


def _reverse(session, merchant_id, reference, earned_key, *, refunded_total, base, key, note, now):
    earned = session.scalars(select(CommissionEntry).where(CommissionEntry.merchant_id == merchant_id,
                                                           CommissionEntry.key == earned_key)).one_or_none()
    if earned is None or earned.amount <= 0:
        return None
    reversed_so_far = -int(session.scalar(
        select(func.coalesce(func.sum(CommissionEntry.amount), 0)).where(
            CommissionEntry.merchant_id == merchant_id, CommissionEntry.reference_kind == reference[0],
            CommissionEntry.reference_id == reference[1], CommissionEntry.kind == "reversal")))
    due = rules.reversal_due(earned.amount, reversed_so_far, refunded_total, base)
    if due <= 0:
        return None
    return _earn(session, merchant_id, key, staff_id=earned.staff_id, kind="reversal", amount=-due,
                 base=earned.base_amount, rate=earned.rate_bp, member_id=earned.member_id, reference=reference,
                 note=note, now=now)


def _earning_staff(session, merchant_id, staff_id):
    """Only an active staff member of this merchant earns (a link of someone who left earns nobody anything)."""
    return session.scalar(select(Staff.active).where(Staff.id == staff_id, Staff.merchant_id == merchant_id)) is True


def _earn(session, merchant_id, key, *, staff_id, kind, amount, base, rate, member_id, reference, note, now):
    """Insert the entry once under its key: its id, or None when the key was earned before."""
    return insert_once(session, CommissionEntry, {
        "merchant_id": merchant_id, "key": key, "staff_id": staff_id, "kind": kind, "amount": int(amount),
        "base_amount": int(base), "rate_bp": rate, "member_id": member_id, "reference_kind": reference[0],
        "reference_id": reference[1], "note": note, "created_at": now or now_utc()}, ("merchant_id", "key"))
