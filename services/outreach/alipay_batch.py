"""A send's messages through the merchant's Alipay life account (生活号): one `custom.send` per recipient (Alipay has
no mass call to a chosen list of users), a batch at a time under the send's row lock.

Each recipient row is its own idempotency key (unique per send and member): it is read only while queued, and its
outcome (sent, or failed with Alipay's reason) commits with the batch's resume point, so a second run of the same
send, at once or concurrently, finds nothing left to send. When Alipay cannot be reached the batch stops where it is:
what went is recorded, and the send waits a minute for the tick instead of calling again and again."""
from datetime import timedelta

from sqlalchemy import select

from channels import alipay_life
from domain.clock import now_utc
from models import CouponTemplate, SendRecipient
from services.outreach import recipients
from services.outreach.wechat_batch import claim_url
from services.recruitment import tracked_links

BATCH = 200
RETRY_AFTER = timedelta(minutes=1)
TEXT_MAX = 2000


def next_batch(session, send, size=None):
    """The next queued life-account recipients after the send's resume point, along the primary key."""
    return session.execute(select(SendRecipient.id, SendRecipient.member_id, SendRecipient.address).where(
        SendRecipient.id > send.alipay_after, *recipients.of_send(send), SendRecipient.channel == "alipay",
        SendRecipient.status == "queued").order_by(SendRecipient.id).limit(size or BATCH)).all()


def send_batch(session, merchant, send, batch, now=None):
    """Message each recipient of the batch. Returns (recipients handled, whether Alipay was unreachable)."""
    now = now or now_utc()
    content = text_of(session, merchant, send)
    sent, not_following, refused = [], [], []
    unreachable = False
    for row in batch:
        try:
            alipay_life.send_text(merchant, row.address, content)
        except alipay_life.LifeAccountRefused as exc:
            (not_following if exc.sub_code == alipay_life.NOT_FOLLOWING else refused).append(row.id)
            if exc.sub_code != alipay_life.NOT_FOLLOWING:
                send.error = f"支付宝生活号拒绝：{exc.words}"[:500]
            continue
        except alipay_life.LifeAccountUnreachable as exc:
            send.error, unreachable = str(exc)[:500], True
            break
        sent.append(row.id)
    done = sent + not_following + refused
    if done:
        send.alipay_after = max(done)
    recipients.mark(session, sent, status="sent", sent_at=now)
    recipients.mark(session, not_following, status="failed", reason="alipay_nofollow")
    recipients.mark(session, refused, status="failed", reason="alipay_error")
    return len(done), unreachable


def text_of(session, merchant, send):
    """The message as text: the send's text, an article as its title, summary and link, or the coupon's claim link."""
    if send.content_kind == "news":
        link = claim_url(session, merchant, send) if send.coupon_template_id else \
            tracked_links.send_link(session, merchant, send, send.link_url)
        parts = [send.news_title, send.news_summary, link]
    elif send.content_kind == "coupon":
        template = session.get(CouponTemplate, send.coupon_template_id)
        parts = [send.text, f"点此领取「{template.title}」：{claim_url(session, merchant, send)}"]
    else:
        parts = [send.text]
    return "\n".join(part for part in parts if part)[:TEXT_MAX]


def retry_at(now):
    return now + RETRY_AFTER
