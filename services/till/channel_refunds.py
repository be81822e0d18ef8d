"""Refunds of a checkout paid by payment code (services/till/channels.py) go back through its channel.

services/till/refunds.refund reverses the ledger parts, then calls `give_back` last, in the same transaction:
the channel's refund clients (channels.payment_channels, as order refunds use them) are asked for the
money part of this refund, under an out_refund_no derived from the merchant and the refund's request key, so
sending the same form again after a lost answer asks about the same refund and never pays twice. A refusal
raises (a Conflict) and the whole refund rolls back. WeChat may accept a refund and pay it later: it is kept
"processing" until the final word comes: WeChat's refund notification (`record_result`), the receipt's
查询退款结果 button or the periodic job jobs.payments.settle_processing_till_refunds (`settle`); a refund the
channel then fails is marked failed with what the cashier must do (hand the money back outside), never silently
dropped.
Cash and card payments are handed back outside, as before.
"""
import hashlib
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, update

from channels import payment_channels
from domain.clock import now_utc
from domain.errors import NotFound
from domain.money import format_yuan
from models import Merchant
from models.checkout import Checkout, CheckoutRefund

SUCCEEDED, PROCESSING, FAILED = "succeeded", "processing", "failed"


def trade_of(checkout):
    """The checkout as the refund clients read an order: its channel, trade numbers and the amount charged."""
    return SimpleNamespace(merchant_id=checkout.merchant_id, channel=checkout.tender,
                           out_trade_no=checkout.out_trade_no, channel_trade_no=checkout.channel_trade_no,
                           amount=checkout.pay - checkout.balance_paid, currency="CNY")


def refund_number(merchant_id, key):
    return "RC" + hashlib.sha256(f"{merchant_id}:checkout:{key}".encode()).hexdigest()[:30]


def _channel(checkout):
    return payment_channels.channel_for(checkout.tender)


def give_back(merchant, checkout, row):
    """Refund this refund's money part through the checkout's channel; nothing for cash, card or balance."""
    back = row.amount - row.balance_back
    if not checkout.out_trade_no or back <= 0:
        return
    row.out_refund_no = refund_number(merchant.id, row.idempotency_key)
    answer = _channel(checkout).refund(merchant, trade_of(checkout), back, row.out_refund_no, row.reason)
    row.channel_refund_id = (answer.get("refund_id") or "")[:64] or None
    row.channel_state = SUCCEEDED if answer.get("status") == SUCCEEDED else PROCESSING


def settle(session, merchant, row):
    """Ask the channel about a processing refund and keep its final word (once: a conditional UPDATE)."""
    if row.channel_state != PROCESSING:
        return row.channel_state
    checkout = session.get(Checkout, row.checkout_id)
    outcome, reason = _channel(checkout).refund_result(merchant, trade_of(checkout), row)
    if outcome == PROCESSING:
        return PROCESSING
    record_result(session, row, outcome == SUCCEEDED, reason)
    return row.channel_state


def record_result(session, row, succeeded, reason=None):
    """The channel's final word on a processing refund, kept once (a conditional UPDATE): True when this call
    settled it, False when the job, the button or an earlier notification already had."""
    outcome = SUCCEEDED if succeeded else FAILED
    note = None if succeeded else \
        f"{reason or '渠道退款失败'}：请以现金等方式退还顾客 ¥{format_yuan(row.amount - row.balance_back)}"[:200]
    done = session.execute(update(CheckoutRefund).where(CheckoutRefund.id == row.id,
                                                        CheckoutRefund.channel_state == PROCESSING)
                           .values(channel_state=outcome, channel_note=note)
                           .execution_options(synchronize_session=False)).rowcount
    session.expire(row)
    return done == 1


def by_out_refund_no(session, merchant_id, out_refund_no):
    return session.scalars(select(CheckoutRefund).where(CheckoutRefund.merchant_id == merchant_id,
                                                        CheckoutRefund.out_refund_no == out_refund_no)).one_or_none()


def settle_one(session, merchant, checkout, refund_id):
    """settle() for a refund of this checkout (another checkout's refund id is NotFound)."""
    row = session.get(CheckoutRefund, refund_id)
    if row is None or row.checkout_id != checkout.id or row.merchant_id != merchant.id:
        raise NotFound("退款记录不存在")
    return settle(session, merchant, row)


def still_processing(session, now=None, older_than=timedelta(minutes=5), batch=200):
    """Ids of refunds still processing some minutes after they were made, oldest first (for the periodic job)."""
    now = now or now_utc()
    return session.scalars(select(CheckoutRefund.id).where(CheckoutRefund.channel_state == PROCESSING,
                                                           CheckoutRefund.created_at <= now - older_than)
                           .order_by(CheckoutRefund.id).limit(batch)).all()


def settle_by_id(session, refund_id):
    row = session.get(CheckoutRefund, refund_id)
    return settle(session, session.get(Merchant, row.merchant_id), row)
