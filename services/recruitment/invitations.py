"""招募推广 · 短信: invitation SMS to phone numbers an operator types, under the marketing SMS rules of
services/outreach (the signature 【店名】, 回T退订, one SMS of at most 70 characters, sensitive words refused, none in
quiet hours), each carrying the tracked link of the 'sms' channel. Numbers of members, numbers that replied T and
numbers invited within the last 30 days are skipped and counted; the form's key makes a double submit send once."""
import re
from datetime import timedelta

from sqlalchemy import insert, select

from channels import sms as sms_channel
from domain.clock import now_utc
from domain.errors import DomainError
from domain.outreach import OPT_OUT_TAIL, SMS_MAX_CHARS, check_sms, signature, sms_length, sms_send_start
from domain.phone import normalise_mobile
from models import Member, Merchant, RecruitSmsBatch, RecruitSmsInvitee, SmsOptOut
from services.merchant import audit
from services.outreach import settings as messaging_settings
from services.shared.insert_once import insert_once
from services.shared.tenancy import scoped

MAX_NUMBERS = 200  # one batch; more is a mass send (群发) to an audience, not an invitation
RECENT_DAYS = 30  # a number invited is left alone this long
DEFAULT_BODY = "送您一张会员卡，点击领取"
MAX_KEY = 100
_SEPARATORS = re.compile(r"[\r\n\t,，;；、]+")  # spaces and dashes inside a number: normalise_mobile


def parse_numbers(text):
    """The distinct mobiles typed (one per line; commas, semicolons and tabs also separate), in the order typed.
    Anything that is not an 11-digit mainland mobile is refused by name, so the operator fixes it, never loses it."""
    typed = [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]
    if len(typed) > MAX_NUMBERS * 2:
        raise DomainError(f"一次最多邀请 {MAX_NUMBERS} 个手机号")
    mobiles, wrong = [], []
    for part in typed:
        try:
            mobile = normalise_mobile(part)
        except DomainError:
            wrong.append(part[:20])
            continue
        if mobile not in mobiles:
            mobiles.append(mobile)
    if wrong:
        shown = "、".join(wrong[:5]) + ("等" if len(wrong) > 5 else "")
        raise DomainError(f"以下号码不是正确的 11 位手机号：{shown}")
    if not mobiles:
        raise DomainError("请填写要邀请的手机号，每行一个")
    if len(mobiles) > MAX_NUMBERS:
        raise DomainError(f"一次最多邀请 {MAX_NUMBERS} 个手机号，本次填写了 {len(mobiles)} 个")
    return mobiles


def sms_of(session, merchant_id, body, link):
    """The invitation as members receive it: 【店名】body + link, a space (so a phone's link ends before the tail),
    回T退订. The body passes the marketing rules; the whole SMS is at most 70 characters."""
    body = (body or "").strip()
    shop = messaging_settings.signature_of(session, merchant_id)
    text = f"{signature(shop)}{body}{link} {OPT_OUT_TAIL}"
    used = sms_length(text)
    if used > SMS_MAX_CHARS:
        raise DomainError(f"短信连同签名、领取链接和“{OPT_OUT_TAIL}”共 {used} 字，超过 {SMS_MAX_CHARS} 字；"
                          f"正文最多 {room_for_body(session, merchant_id, link)} 字", length=used)
    check_sms(shop, body, messaging_settings.get(session, merchant_id).own_words)  # empty, control, sensitive
    return text


def room_for_body(session, merchant_id, link):
    """How many characters of body fit beside the signature, the link and the tail."""
    shop = messaging_settings.signature_of(session, merchant_id)
    return max(0, SMS_MAX_CHARS - sms_length(f"{signature(shop)}{link} {OPT_OUT_TAIL}"))


def in_quiet_hours(merchant, now=None):
    now = now or now_utc()
    return sms_send_start(now, merchant.timezone) != now


def send(session, actor, *, key, source, link, body, numbers_text, now=None):
    """Send one batch of invitations; returns (batch, replayed). A key already used returns that batch untouched,
    also when the first submit is still being written (the second waits on the key, then finds it)."""
    now = now or now_utc()
    merchant_id = actor.merchant_id
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY or any(ord(ch) < 32 for ch in key):
        raise DomainError("页面已过期，请刷新后重试")
    earlier = _batch(session, merchant_id, key)
    if earlier is not None:
        return earlier, True
    merchant = session.get(Merchant, merchant_id)
    if in_quiet_hours(merchant, now):
        raise DomainError("21:00–08:00 为免打扰时段，不发送营销短信，请在 08:00 之后再发送邀请")
    text = sms_of(session, merchant_id, body, link)
    mobiles = parse_numbers(numbers_text)
    batch_id = insert_once(session, RecruitSmsBatch, {
        "merchant_id": merchant_id, "key": key, "source_id": source.id, "staff_id": actor.id, "text": text,
        "asked": len(mobiles), "sent": 0, "skipped_member": 0, "skipped_opted_out": 0, "skipped_recent": 0,
        "created_at": now}, ("merchant_id", "key"))
    if batch_id is None:
        return _batch(session, merchant_id, key), True
    batch = session.get(RecruitSmsBatch, batch_id)
    members, opted_out, recent = _left_alone(session, merchant_id, mobiles, now)
    going = [m for m in mobiles if m not in members and m not in opted_out and m not in recent]
    if going:
        session.execute(insert(RecruitSmsInvitee), [
            {"merchant_id": merchant_id, "batch_id": batch_id, "mobile": mobile, "created_at": now}
            for mobile in going])
        sms_channel.provider().send_many(session, merchant_id,
                                         [(f"i{batch_id}-{mobile}", mobile, text) for mobile in going])
    batch.sent = len(going)
    batch.skipped_member = sum(1 for m in mobiles if m in members)
    batch.skipped_opted_out = sum(1 for m in mobiles if m in opted_out and m not in members)
    batch.skipped_recent = batch.asked - batch.sent - batch.skipped_member - batch.skipped_opted_out
    session.flush()
    audit.record(session, actor, "recruitment.sms_invite", "recruit_sms_batch", batch.id,
                 after={"source_id": source.id, "asked": batch.asked, "sent": batch.sent,
                        "skipped_member": batch.skipped_member, "skipped_opted_out": batch.skipped_opted_out,
                        "skipped_recent": batch.skipped_recent})
    return batch, False


def _left_alone(session, merchant_id, mobiles, now):
    """Of these numbers: members of the merchant, numbers that opted out, numbers invited within RECENT_DAYS."""
    members = set(session.scalars(select(Member.mobile).where(Member.merchant_id == merchant_id,
                                                             Member.mobile.in_(mobiles))))
    opted_out = set(session.scalars(select(SmsOptOut.mobile).where(SmsOptOut.merchant_id == merchant_id,
                                                                   SmsOptOut.mobile.in_(mobiles))))
    recent = set(session.scalars(select(RecruitSmsInvitee.mobile).where(
        RecruitSmsInvitee.merchant_id == merchant_id, RecruitSmsInvitee.mobile.in_(mobiles),
        RecruitSmsInvitee.created_at >= now - timedelta(days=RECENT_DAYS))))
    return members, opted_out, recent


def _batch(session, merchant_id, key):
    return session.scalars(scoped(RecruitSmsBatch, merchant_id).where(RecruitSmsBatch.key == key)).first()


def recent_batches(session, merchant_id, limit=10):
    """The latest invitation batches, for the page that sends them."""
    return list(session.scalars(scoped(RecruitSmsBatch, merchant_id)
                                .order_by(RecruitSmsBatch.id.desc()).limit(limit)))
