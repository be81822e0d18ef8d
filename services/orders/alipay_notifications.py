"""Alipay's asynchronous payment notification (it arrives at payments/alipay.py): what it says, handled in
Alipay's documented order, and the PaymentNotification row it is kept as once verified (one that does not verify is
only counted: services.orders.notification_rejects).

Verify the RSA2 signature against Alipay's public key (channels.alipay_trades, `verified`), drop duplicates, accept only a
paid trade status, then check amount, app id and seller id against the order
(services.orders.settlement.record_payment). The outcome decides Alipay's answer: "success" only when the payment is
recorded (or already was) and kept with its row; "failure" otherwise, and Alipay retries.
"""
import logging

from channels import alipay_trades
from channels.wechat import ChannelNotConfigured
from domain import orders as rules
from domain.errors import DomainError
from models import PaymentNotification
from services.orders import channel_payments, orders
from services.orders.notification_rejects import Unverified

log = logging.getLogger(__name__)


class NotificationRefused(Exception):
    """Why a notification is not accepted: the PaymentNotification outcome and a short detail."""

    def __init__(self, outcome, detail, order=None):
        super().__init__(detail)
        self.outcome, self.detail, self.order = outcome, detail, order


def verified(merchant, raw):
    """The notification's form fields once its RSA2 signature verifies with Alipay's public key as the merchant
    holds it; Unverified (malformed or bad_signature) otherwise, before anything is looked up."""
    try:
        fields = alipay_trades.notification_fields(raw)
    except alipay_trades.MalformedNotification as exc:
        raise Unverified("malformed", str(exc)) from None
    try:
        alipay_trades.verify_notification(merchant, fields)
    except alipay_trades.BadSignature as exc:
        raise Unverified("bad_signature", str(exc)) from None
    except ChannelNotConfigured:
        raise Unverified("bad_signature", "merchant has no Alipay app to verify with") from None
    return fields


def process(session, merchant, fields):
    """Record what verified fields say: (order, outcome, detail) with outcome accepted or duplicate; raises
    NotificationRefused. Flushes the payment, never commits."""
    detail = f"trade_no {fields.get('trade_no', '')[:64]}"
    order = orders.by_out_trade_no(session, fields.get("out_trade_no"), merchant.id)
    if order is None or order.channel != "alipay":
        raise NotificationRefused("unknown_order", f"out_trade_no {fields.get('out_trade_no', '')[:64]}")
    if order.state != rules.CREATED and order.channel_trade_no == fields.get("trade_no"):
        return order, "duplicate", detail
    if fields.get("trade_status") not in alipay_trades.PAID_STATUSES:
        raise NotificationRefused("not_paid", f"trade_status {fields.get('trade_status', '')[:32]}", order)
    paid = _record(session, merchant, order, alipay_trades.paid_from_notification(fields))
    return order, "accepted" if paid else "duplicate", detail


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


def keep(session, merchant_id, order, raw, outcome, detail):
    """A verified notification as received, with its outcome (and its order when known). Flushes."""
    session.add(PaymentNotification(
        merchant_id=merchant_id, order_id=order.id if order else None, channel="alipay",
        out_trade_no=alipay_trades.notification_field(raw, "out_trade_no"), outcome=outcome,
        detail=(detail or "")[:200], body=raw.decode("utf-8", "replace")[:alipay_trades.MAX_NOTIFICATION_BYTES]))
    session.flush()
