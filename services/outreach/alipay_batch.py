"""A send's messages through the merchant's Alipay life account (生活号): one `custom.send` per recipient (Alipay has
no mass call to a chosen list of users), a batch at a time under the send's row lock.

Each recipient row is its own idempotency key (unique per send and member), and Alipay's custom.send takes no id of
ours to recognise a repeat: so a batch is claimed (its rows `sending`, the resume point past them) and committed
before the first call. A second run, at once or concurrently, finds nothing left to send; a run killed during its
calls leaves its rows `sending`, never sent again, and once they are STALE they count as failed with the reason
`unknown` (the message may or may not have gone). When Alipay cannot be reached the batch stops where it is: what
went is recorded, the rest is queued again, and the send waits a minute for the tick instead of calling again and
again."""
from datetime import timedelta

from sqlalchemy import and_, func, select, update

from channels import alipay_life
from domain.clock import now_utc
from models import CouponTemplate, Member, Send, SendRecipient
from services.outreach import recipients
from services.outreach.wechat_batch import claim_url
from services.recruitment import tracked_links

BATCH = 200
RETRY_AFTER = timedelta(minutes=1)
STALE = timedelta(minutes=10)  # a claimed batch's calls take seconds: a claim this old belongs to a run that died
TEXT_MAX = 2000


def next_batch(session, send, size=None):
    """The next queued life-account recipients after the send's resume point, along the primary key."""
    return session.execute(select(SendRecipient.id, SendRecipient.member_id, SendRecipient.address).where(
        SendRecipient.id > send.alipay_after, *recipients.of_send(send), SendRecipient.channel == "alipay",
        SendRecipient.status == "queued").order_by(SendRecipient.id).limit(size or BATCH)).all()


def send_batch(session, merchant, send, batch, now=None):
    """Claim the batch (committed), message each recipient, record each outcome under the send's lock again.
    Returns (recipients handled, whether Alipay was unreachable)."""
    now = now or now_utc()
    content = text_of(session, merchant, send)
    claimed = [row.id for row in batch]
    send.alipay_after = claimed[-1]
    recipients.mark(session, claimed, status="sending", sent_at=now)
    session.commit()  # claimed before any call: see the module's docstring
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
    _lock_again(session, send)
    if unreachable:  # the rest goes back to the queue, the resume point to the last one handled
        recipients.mark(session, [row_id for row_id in claimed if row_id not in set(done)], status="queued",
                        sent_at=None)
        send.alipay_after = max(done) if done else claimed[0] - 1
    recipients.mark(session, sent, status="sent", sent_at=now)
    rerouted = _fall_back_to_sms(session, send, not_following) if send.sms_fallback else set()
    recipients.mark(session, [row_id for row_id in not_following if row_id not in rerouted], status="failed",
                    reason="alipay_nofollow")
    recipients.mark(session, refused, status="failed", reason="alipay_error")
    return len(done) - len(rerouted), unreachable


def _fall_back_to_sms(session, send, row_ids):
    """Members who turn out not to follow the life account (the plan cannot know who does) get the send's SMS, as
    the plan would have given them, when they have a phone and have not opted out. Their rows' ids."""
    if not row_ids:
        return set()
    reachable = session.execute(select(SendRecipient.id, Member.mobile).join(
        Member, and_(Member.id == SendRecipient.member_id, Member.merchant_id == SendRecipient.merchant_id)).where(
        SendRecipient.id.in_(row_ids), func.coalesce(Member.mobile, "") != "", Member.sms_opt_out_at.is_(None))).all()
    for row_id, mobile in reachable:
        session.execute(update(SendRecipient).where(SendRecipient.id == row_id).values(
            channel="sms", address=mobile, status="queued", sent_at=None, reason=None))
    if reachable:  # SMS batches go along the primary key: theirs must not be behind the SMS resume point
        send.sms_after = min(send.sms_after, min(row_id for row_id, _ in reachable) - 1)
    return {row_id for row_id, _ in reachable}


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


def _lock_again(session, send):
    """The send's row locked and read afresh: the claim's commit let other runs work on it meanwhile."""
    session.execute(select(Send).where(Send.id == send.id).with_for_update()
                    .execution_options(populate_existing=True)).scalar_one()


def settle_claims(session, send, now):
    """Rows a killed run claimed and never recorded: failed, reason `unknown`, never sent again, once STALE. When
    a younger claim remains (a run may still be calling), the time it will be stale; else None."""
    claims = session.execute(select(SendRecipient.id, SendRecipient.sent_at).where(
        *recipients.of_send(send), SendRecipient.channel == "alipay", SendRecipient.status == "sending")).all()
    recipients.mark(session, [row.id for row in claims if row.sent_at <= now - STALE], status="failed",
                    reason="unknown")
    younger = [row.sent_at for row in claims if row.sent_at > now - STALE]
    return min(younger) + STALE if younger else None
