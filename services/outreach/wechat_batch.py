"""One call of WeChat's mass API for a send: at most 10,000 openids, a `clientmsgid` derived from the batch (so a
call retried after a crash is recognised by WeChat and not sent twice), the month's allowance taken in the same
transaction, and the per-minute pace kept. The message itself: text, an article (图文) uploaded once per send,
or a coupon message linking to the claim page."""
import html
import io
import time
from datetime import timedelta

from sqlalchemy import func, select
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from domain.outreach import mass_month
from models import CouponTemplate, SendRecipient, WechatMassCall
from services.outreach import compose, quota, recipients
from services.recruitment import tracked_links
from services.shared import host

BATCH = 10000  # WeChat's most openids in one call
CALLS_PER_MINUTE = 60
CLIENT_MSG_ID_EXISTS = 45065  # WeChat: this clientmsgid was sent already; the answer carries the first msg_id
MINUTE_QUOTA_REACHED = 45011


class MinuteQuotaReached(Exception):
    """WeChat refused the call for the per-minute limit: nothing was sent, try the same batch again shortly."""


def next_batch(session, send, size=None):
    """The next queued WeChat recipients after the send's resume point, along the primary key."""
    return session.execute(select(SendRecipient.id, SendRecipient.member_id, SendRecipient.address).where(
        SendRecipient.id > send.wechat_after, *recipients.of_send(send), SendRecipient.channel == "wechat",
        SendRecipient.status == "queued").order_by(SendRecipient.id).limit(size or BATCH)).all()


def send_batch(session, merchant, send, batch, now=None):
    """Send one batch: take the month's slots, call WeChat, mark each recipient. Returns recipients handled."""
    now = now or now_utc()
    send.wechat_after = batch[-1].id
    granted = quota.take(session, merchant.id, mass_month(now, merchant.timezone), [row.id for row in batch])
    over = [row.id for row in batch if row.member_id not in granted]
    going = [row for row in batch if row.member_id in granted]
    recipients.mark(session, over, status="skipped", reason="quota")
    if not going:
        return len(batch)
    client_msg_id = f"m{merchant.id}s{send.id}r{batch[0].id}"
    wait_for_minute_quota(session, merchant.id)
    call = WechatMassCall(merchant_id=merchant.id, send_id=send.id, client_msg_id=client_msg_id,
                          recipients=len(going), created_at=now_utc())
    try:
        call.msg_id = str(_call(session, merchant, send, [row.address for row in going], client_msg_id))
    except WeChatClientException as exc:
        if exc.errcode == MINUTE_QUOTA_REACHED:
            raise MinuteQuotaReached() from exc
        recipients.mark(session, [row.id for row in going], status="failed", reason="wechat_error")
        send.error = f"微信群发接口返回 {exc.errcode}：{exc.errmsg}"[:500]
        return len(batch)
    session.add(call)
    session.flush()
    recipients.mark(session, [row.id for row in going], status="sent", batch=call.id, sent_at=now)
    return len(batch)


def _call(session, merchant, send, openids, client_msg_id):
    """WeChat's msg_id for this message to these openids (the first call's, when this clientmsgid was sent)."""
    client = client_for(merchant)
    try:
        if send.content_kind == "news":
            result = client.message.send_mass_article(openids, article_media_id(session, merchant, client, send),
                                                      client_msg_id=client_msg_id)
        else:
            result = client.message.send_mass_text(openids, text_of(session, merchant, send),
                                                   client_msg_id=client_msg_id)
    except WeChatClientException as exc:
        if exc.errcode != CLIENT_MSG_ID_EXISTS:
            raise
        result = _answer(exc)
    return result.get("msg_id")


def _answer(exc):
    try:
        return exc.response.json()
    except (AttributeError, ValueError):
        return {}


def preview(session, merchant, send, openid):
    """The message to one follower (预览): it does not count against anyone's monthly allowance."""
    client = client_for(merchant)
    if send.content_kind == "news":
        client.message.send_mass_article(openid, article_media_id(session, merchant, client, send), preview=True)
    else:
        client.message.send_mass_text(openid, text_of(session, merchant, send), preview=True)


def text_of(session, merchant, send):
    """A text message, or the coupon message: its words and a link to the claim page."""
    if send.content_kind != "coupon":
        return send.text
    template = session.get(CouponTemplate, send.coupon_template_id)
    link = f'<a href="{html.escape(claim_url(session, merchant, send))}">点此领取「{html.escape(template.title)}」</a>'
    return f"{send.text}\n{link}" if send.text else link


def claim_url(session, merchant, send):
    """The coupon's claim page, carrying the send's source: what follows the tap is credited to the send."""
    url = host.external_url("member_h5.send_coupon", merchant_slug=merchant.slug, send_id=send.id)
    return tracked_links.with_source(url, tracked_links.send_token(session, send))


def article_media_id(session, merchant, client, send):
    """The send's article in WeChat: uploaded once (cover, then the article), then reused by every batch."""
    if send.news_media_id:
        return send.news_media_id
    cover = compose.cover_bytes(send, host.setting("UPLOAD_DIR"))
    thumb = client.media.upload("image", ("cover.jpg", io.BytesIO(cover), "image/jpeg"))["media_id"]
    source = claim_url(session, merchant, send) if send.coupon_template_id else \
        tracked_links.send_link(session, merchant, send, send.link_url)
    body = "".join(f"<p>{html.escape(line)}</p>" for line in send.news_body.splitlines() if line.strip())
    if send.coupon_template_id:
        body += f'<p><a href="{html.escape(source)}">领取优惠券</a></p>'
    article = {"thumb_media_id": thumb, "title": send.news_title, "content": body, "digest": send.news_summary,
               "content_source_url": source, "show_cover_pic": 1}
    send.news_media_id = client.media.upload_articles([article])["media_id"]
    session.flush()
    return send.news_media_id


def wait_for_minute_quota(session, merchant_id, sleep=time.sleep):
    """Pace the calls: when the last minute already holds the limit's calls, wait until the oldest is a minute old
    (WECHAT_MASS_CALLS_PER_MINUTE; 0 turns pacing off, for a bench against the sandbox)."""
    limit = host.setting("WECHAT_MASS_CALLS_PER_MINUTE", CALLS_PER_MINUTE)
    if not limit:
        return
    since = now_utc() - timedelta(minutes=1)
    recent = select(WechatMassCall.created_at).where(WechatMassCall.merchant_id == merchant_id,
                                                      WechatMassCall.created_at > since)
    if session.scalar(select(func.count()).select_from(recent.subquery())) < limit:
        return
    oldest = session.scalar(recent.order_by(WechatMassCall.created_at).limit(1))
    sleep(max(0.0, (oldest + timedelta(minutes=1) - now_utc()).total_seconds()))

