"""What a send achieved: targeted, sent per channel, skipped per reason, failed, delivered (SMS receipts, WeChat's
own figures), and within 7 days of sending: coupons claimed and used from it, and the money paid in the payments
that used them. The list of sends shows the same figures."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from models import CouponCode, Send, SendRecipient, Verification, WechatMassCall
from services.outreach import recipients
from services.shared.tenancy import get_owned, scoped

FOLLOW_UP = timedelta(days=7)
PAGE = 20


@dataclass
class Report:
    send: Send
    targeted: int = 0
    sent: dict = field(default_factory=dict)  # channel -> members
    skipped: dict = field(default_factory=dict)  # reason -> members
    failed: dict = field(default_factory=dict)  # reason -> members
    sms_delivered: int = 0
    wechat_reported: dict = field(default_factory=dict)  # WeChat's MASSSENDJOBFINISH figures
    coupons_claimed: int = 0
    coupons_used: int = 0
    money_paid: int = 0  # fen

    @property
    def sent_total(self):
        return sum(self.sent.values())


def of(session, merchant_id, send_id):
    send = get_owned(session, Send, merchant_id, send_id)
    return _build(session, send, recipients.tallies(session, merchant_id, [send.id])[send.id])


def listing(session, merchant_id, page=1):
    """(reports of one page of sends, newest first; whether there is a next page)."""
    sends = session.scalars(scoped(Send, merchant_id).order_by(Send.id.desc())
                            .offset((max(page, 1) - 1) * PAGE).limit(PAGE + 1)).all()
    more, sends = len(sends) > PAGE, sends[:PAGE]
    counted = recipients.tallies(session, merchant_id, [send.id for send in sends])
    return [_build(session, send, counted[send.id]) for send in sends], more


def _build(session, send, counted):
    report = Report(send=send, targeted=send.total if send.frozen else 0)
    for (channel, status, reason), members in counted.items():
        if status in ("sent", "delivered") or (status == "failed" and reason == "not_delivered"):
            report.sent[channel] = report.sent.get(channel, 0) + members
        if status == "delivered":
            report.sms_delivered += members
        elif status == "skipped":
            report.skipped[reason] = report.skipped.get(reason, 0) + members
        elif status == "failed":
            report.failed[reason] = report.failed.get(reason, 0) + members
    report.wechat_reported = _wechat_figures(session, send)
    if send.started_at is not None:
        _follow_up(session, send, report)
    return report


def _wechat_figures(session, send):
    row = session.execute(select(func.count(WechatMassCall.reported_at), func.sum(WechatMassCall.sent_count),
                                 func.sum(WechatMassCall.error_count), func.count())
                          .where(WechatMassCall.send_id == send.id)).one()
    reported, sent, errors, calls = row
    return {"calls": calls, "reported": reported, "sent": sent or 0, "errors": errors or 0} if calls else {}


def _follow_up(session, send, report):
    """Coupons the send's recipients took (noted on their rows) and used within 7 days of sending."""
    until = send.started_at + FOLLOW_UP
    taken = (select(CouponCode.id).join(SendRecipient, SendRecipient.coupon_code_id == CouponCode.id)
             .where(*recipients.of_send(send), SendRecipient.coupon_code_id.is_not(None),
                    CouponCode.merchant_id == send.merchant_id, CouponCode.created_at < until))
    used_ids = taken.where(CouponCode.used_at.is_not(None), CouponCode.used_at < until)
    report.coupons_claimed = session.scalar(select(func.count()).select_from(taken.subquery()))
    report.coupons_used = session.scalar(select(func.count()).select_from(used_ids.subquery()))
    if report.coupons_used:
        report.money_paid = money_paid_with(session, send.merchant_id, used_ids)


def money_paid_with(session, merchant_id, used_ids):
    """Money received in the payments that used the send's coupons: a till payment with two of them counts once."""
    rows = session.execute(select(Verification.idempotency_key, Verification.amount_received).where(
        Verification.merchant_id == merchant_id, Verification.coupon_code_id.in_(used_ids),
        Verification.undone_at.is_(None)))
    payments = {}
    for key, amount in rows:
        parts = key.split(":")
        payments[":".join(parts[:2]) if parts[0] == "checkout" else key] = amount or 0
    return sum(payments.values())
