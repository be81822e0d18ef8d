"""The channel's final word on a refund that was still "processing": it succeeded, or it failed and what the
refund took is put back.

A refund the channel accepted but has not paid yet is booked as "processing" (services.orders.refunds). Its result
arrives by WeChat's refund notification or is fetched by the periodic job; both end here. Settling is a
conditional UPDATE on state = 'processing', so a notification, its retries and the job racing each other settle
a refund exactly once, and only the winner puts anything back.

A failed refund (the channel closed it, or the payer's account could no longer receive it) gives the money to
the member's stored-value account in the same transaction, with a journal key derived from the refund:
- a top-up: the wallet withdrawal is reversed (principal and the bonus taken back return), the order's
  refunded_amount is lowered and a wholly refunded order is fulfilled again;
- a card or coupon order: what was taken back stays taken back (the card is closed, the codes voided), so the
  amount is credited to the wallet as principal and stays counted as refunded: lowering it would let the same
  money be refunded a second time through the channel.
"""
import logging
from datetime import timedelta

from sqlalchemy import case, select, update

from channels import payment_channels
from domain import orders as order_rules
from domain.clock import now_utc
from models import Merchant, Order, OrderRefund
from services.merchant import audit
from services.recruitment import commission
from services.wallet import journal as wallet

log = logging.getLogger(__name__)

SUCCEEDED, PROCESSING, FAILED = "succeeded", "processing", "failed"
ASK_AFTER = timedelta(minutes=5)  # the channel's notification normally comes before the job asks
BATCH = 200


def settle(session, record, succeeded, *, reason=None, now=None, source="notify"):
    """Record the final result of a processing refund. True when this call settled it, False when it was
    already settled (a repeated notification, or the job got there first): then nothing changes."""
    now = now or now_utc()
    state = SUCCEEDED if succeeded else FAILED
    reason = None if succeeded else ((reason or "").strip() or "渠道退款失败")[:200]
    won = session.execute(
        update(OrderRefund).where(OrderRefund.id == record.id, OrderRefund.state == PROCESSING)
        .values(state=state, settled_at=now, failure_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    session.expire(record)
    if won != 1:
        return False
    if not succeeded:
        _put_back(session, record, reason)
    audit.record(session, None, f"order.refund_{state}", "order", record.order_id, merchant_id=record.merchant_id,
                 before={"state": PROCESSING},
                 after={"refund_id": record.id, "state": state, "reason": reason, "source": source})
    session.flush()
    return True


def _put_back(session, record, reason):
    """The failed refund's money back to the member's stored-value account (see the module docstring)."""
    order = session.get(Order, record.order_id)
    purse = wallet.member_wallet(session, record.merchant_id, order.member_id)
    bonus = record.bonus_back if order.kind == "topup" else 0
    wallet.credit(session, record.merchant_id, purse.id, record.amount, bonus, key=f"refund:{record.id}:put-back",
                  reference=("order_refund", record.id), note=f"退款失败退回：{reason}"[:200])
    if order.kind == "topup":
        _uncount_refunded(session, order, record.amount)
        commission.restore_after_failed_refund(session, order, record)


def _uncount_refunded(session, order, amount):
    """refunded_amount goes down by what did not go back; a wholly refunded order is fulfilled (or paid) again."""
    back_to = case((Order.fulfilled_at.is_(None), order_rules.PAID), else_=order_rules.FULFILLED)
    session.execute(
        update(Order).where(Order.id == order.id, Order.refunded_amount >= amount)
        .values(refunded_amount=Order.refunded_amount - amount,
                state=case((Order.state == order_rules.REFUNDED, back_to), else_=Order.state))
        .execution_options(synchronize_session=False))
    session.expire(order)


def by_out_refund_no(session, merchant_id, out_refund_no):
    return session.scalars(select(OrderRefund).where(OrderRefund.merchant_id == merchant_id,
                                                     OrderRefund.out_refund_no == out_refund_no)).one_or_none()


def still_processing(session, now=None):
    """Ids of refunds still processing some minutes after they were asked, oldest first."""
    now = now or now_utc()
    return session.scalars(select(OrderRefund.id).where(OrderRefund.state == PROCESSING,
                                                        OrderRefund.created_at <= now - ASK_AFTER)
                           .order_by(OrderRefund.id).limit(BATCH)).all()


def ask_and_settle(session, refund_id, now=None):
    """Ask the order's channel about one processing refund and settle it: succeeded, failed, processing
    (the channel has no final answer yet) or unchanged (settled meanwhile)."""
    record = session.get(OrderRefund, refund_id)
    if record is None or record.state != PROCESSING:
        return "unchanged"
    order = session.get(Order, record.order_id)
    merchant = session.get(Merchant, record.merchant_id)
    outcome, reason = payment_channels.channel_for(order.channel).refund_result(merchant, order, record)
    if outcome == PROCESSING:
        return PROCESSING
    settled = settle(session, record, outcome == SUCCEEDED, reason=reason, now=now, source="query")
    return outcome if settled else "unchanged"


def failure_text(record):
    """What the back office and the member read for a failed refund."""
    return f"退款失败：{record.failure_reason or '渠道退款失败'}，款项已退回储值账户"
