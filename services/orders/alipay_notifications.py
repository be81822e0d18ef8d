"""Alipay's asynchronous payment notification (it arrives at payments/alipay.py): what it says, handled in
Alipay's documented order, and the PaymentNotification row it is kept as.

Verify the RSA2 signature against Alipay's public key (channels.alipay_trades), drop duplicates, accept only a
paid trade status, then check amount, app id and seller id against the order
(services.orders.settlement.record_payment). The outcome decides Alipay's answer: "success" only when the payment is
recorded (or already was) and kept with its row; "failure" otherwise, and Alipay retries.
"""
import logging

from sqlalchemy import select

from channels import alipay_trades
from domain import orders as rules
from domain.errors import DomainError
from models import Merchant, PaymentNotification
from services.orders import channel_payments, orders

log = logging.getLogger(__name__)


class NotificationRefused(Exception):
    """Why a notification is not accepted: the PaymentNotification outcome and a short detail."""

    def __init__(self, outcome, detail, order=None):
        super().__init__(detail)
        self.outcome, self.detail, self.order = outcome, detail, order


def merchant_of(session, merchant_slug):
    """The merchant the notification URL names; NotificationRefused (unknown_order) when there is none."""
    merchant = session.scalars(select(Merchant).where(Merchant.slug == merchant_slug[:64])).one_or_none()
    if merchant is None:
        raise NotificationRefused("unknown_order", f"unknown merchant {merchant_slug[:60]}")
    return merchant


def process(session, merchant, raw):
    """Parse, verify, then record: (order, outcome, detail) with outcome accepted or duplicate; raises
    NotificationRefused. Flushes the payment, never commits."""
    try:
        fields = alipay_trades.notification_fields(raw)
    except alipay_trades.MalformedNotification as exc:
        raise NotificationRefused("error", str(exc)) from None
    order, outcome = _process(session, merchant, fields)
    return order, outcome, f"trade_no {fields.get('trade_no', '')[:64]}"


def _process(session, merchant, fields):
    try:
        alipay_trades.verify_notification(merchant, fields)
    except alipay_trades.BadSignature as exc:
        raise NotificationRefused("bad_signature", str(exc)) from None
    order = orders.by_out_trade_no(session, fields.get("out_trade_no"), merchant.id)
    if order is None or order.channel != "alipay":
        raise NotificationRefused("unknown_order", f"out_trade_no {fields.get('out_trade_no', '')[:64]}")
    if order.state != rules.CREATED and order.channel_trade_no == fields.get("trade_no"):
        return order, "duplicate"
    if fields.get("trade_status") not in alipay_trades.PAID_STATUSES:
        raise NotificationRefused("not_paid", f"trade_status {fields.get('trade_status', '')[:32]}", order)
    paid = _record(session, merchant, order, alipay_trades.paid_from_notification(fields))
    return order, "accepted" if paid else "duplicate"


def _record(session, merchant, order, paid):
    """record_payment with what the order expects; a mismatch or a closed order is refused, nothing changed."""
    try:
        return channel_payments.record(session, merchant, order, paid,
                                       channel_payments.alipay_expected(merchant, order))
    except orders.PaymentMismatch as exc:
        raise NotificationRefused("mismatch", str(exc)[:200], order) from None
    except DomainError as exc:
        # Paid on Alipay after we closed it: the money is real and must be refunded by hand.
        log.error("alipay paid order %s in state %s: %s", order.out_trade_no, order.state, exc)
        raise NotificationRefused("error", f"order not payable: {exc}"[:200], order) from None


def keep(session, merchant, order, raw, outcome, detail):
    """The notification as received, with its outcome (merchant and order when known). Flushes."""
    session.add(PaymentNotification(
        merchant_id=merchant.id if merchant else None, order_id=order.id if order else None, channel="alipay",
        out_trade_no=alipay_trades.notification_field(raw, "out_trade_no"), outcome=outcome,
        detail=(detail or "")[:200],
        body=(raw or b"").decode("utf-8", "replace")[:alipay_trades.MAX_NOTIFICATION_BYTES]))
    session.flush()
