"""Marketing SMS for a send: a batch at a time through the provider, never in quiet hours, never to a member who
opted out since the plan, and the provider's delivery receipts afterwards. Each message's reference is its
recipient row (`s{send}-r{recipient}`), so the provider can recognise a message it already took."""
from sqlalchemy import select

from channels import sms as sms_channel
from domain.clock import now_utc
from domain.outreach import sms_send_start, sms_text
from models import Member, SendRecipient
from services.outreach import recipients, settings as messaging_settings

BATCH = 500
RECEIPT_BATCH = 1000


def reference(send_id, recipient_id):
    return f"s{send_id}-r{recipient_id}"


def next_batch(session, send, size=None):
    return session.execute(
        select(SendRecipient.id, SendRecipient.address, Member.sms_opt_out_at)
        .join(Member, Member.id == SendRecipient.member_id)
        .where(SendRecipient.id > send.sms_after, *recipients.of_send(send), SendRecipient.channel == "sms",
               SendRecipient.status == "queued")
        .order_by(SendRecipient.id).limit(size or BATCH)).all()


def start_time(merchant, now):
    """When SMS may go: now, or 08:00 local when `now` falls in quiet hours."""
    return sms_send_start(now, merchant.timezone)


def send_batch(session, merchant, send, batch, now=None):
    """Hand one batch to the provider and mark it sent; members who opted out meanwhile are skipped."""
    now = now or now_utc()
    send.sms_after = batch[-1].id
    opted_out = [row.id for row in batch if row.sms_opt_out_at is not None]
    going = [row for row in batch if row.sms_opt_out_at is None]
    recipients.mark(session, opted_out, status="skipped", reason="opted_out")
    if going:
        text = sms_text(messaging_settings.signature_of(session, merchant.id), send.sms_body)
        sms_channel.provider().send_many(session, merchant.id,
                                         [(reference(send.id, row.id), row.address, text) for row in going])
        recipients.mark(session, [row.id for row in going], status="sent", sent_at=now)
        send.sms_units += len(going)  # one 条 each: the text is at most 70 characters with signature and tail
    return len(batch)


def collect_receipts(session, send, now=None):
    """Ask the provider what became of the send's SMS still without a receipt; returns how many it answered."""
    now = now or now_utc()
    answered, after = 0, 0
    provider = sms_channel.provider()
    while True:
        ids = session.scalars(select(SendRecipient.id).where(
            *recipients.of_send(send), SendRecipient.channel == "sms", SendRecipient.status == "sent",
            SendRecipient.id > after).order_by(SendRecipient.id).limit(RECEIPT_BATCH)).all()
        if not ids:
            return answered
        after = ids[-1]
        reports = provider.delivery_reports(session, [reference(send.id, rid) for rid in ids])
        delivered = [rid for rid in ids if reports.get(reference(send.id, rid)) == "delivered"]
        failed = [rid for rid in ids if reports.get(reference(send.id, rid)) == "failed"]
        recipients.mark(session, delivered, status="delivered", delivered_at=now)
        recipients.mark(session, failed, status="failed", reason="not_delivered")
        answered += len(delivered) + len(failed)

