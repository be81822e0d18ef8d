"""Telling members what a campaign gave them, within the merchant's weekly cap of campaign messages per member.

The cap is taken per chunk by one conditional upsert into message_allowance (`used < cap` evaluated on the row's
latest version, as the monthly mass allowance is), so two campaigns running at once never give a member more than
the cap. A member over it keeps the reward and is marked 'capped'. Then:
- template notice (通知): the member's coupon notice (券到账), one WeChat call per member as WeChat requires;
- WeChat mass message, SMS or the best of both: when the run is done, one send (群发, services/outreach) to the run's
  members who were not capped, through the channel chooser, the 4-a-month allowance, opt-outs and quiet hours.
"""
from sqlalchemy import literal, select, update

from domain import campaigns as rules
from domain.clock import to_local, until_text
from domain.outreach import QUIET_FROM, QUIET_UNTIL, sms_send_start
from models import Campaign, CampaignTarget, CouponCode, Merchant, MessageAllowance, MessagingSettings, Send
from services.outreach import run as outreach_run
from services.recruitment import tracked_links
from services.shared import allowances
from services.shared.id_lists import among
from services.wechat import notices

SEND_CHANNELS = ("wechat", "sms", "best")
DEFAULT_CAP = 2


def weekly_cap(session, merchant_id):
    cap = session.scalar(select(MessagingSettings.campaign_messages_per_week)
                         .where(MessagingSettings.merchant_id == merchant_id))
    return DEFAULT_CAP if cap is None else cap


def tell_chunk(session, merchant, run, chunk, now):
    """Take the week's allowance for the chunk's rewarded members; notices go at once. Returns members told (or to
    be told by the run's send)."""
    channel = (run.message or {}).get("channel", "none")
    if channel == "none":
        return 0
    if channel == "notice" and in_quiet_hours(now, merchant.timezone):
        # a catch-up or a night sweep: the rewards stand, the notice is not sent at night
        session.execute(update(CampaignTarget).where(
            CampaignTarget.run_id == run.id, CampaignTarget.id.between(chunk.first_id, chunk.last_id),
            CampaignTarget.state == "rewarded").values(reason="quiet_hours").execution_options(synchronize_session=False))
        return 0
    allowed = _take_allowance(session, merchant.id, run, chunk, rules.week_of(now, merchant.timezone),
                              weekly_cap(session, merchant.id))
    in_chunk = (CampaignTarget.run_id == run.id, CampaignTarget.id.between(chunk.first_id, chunk.last_id),
                CampaignTarget.state == "rewarded")
    capped = update(CampaignTarget).where(*in_chunk).values(reason="capped")
    if allowed:
        capped = capped.where(~among(session, CampaignTarget.member_id, sorted(allowed)))
    session.execute(capped.execution_options(synchronize_session=False))
    if channel == "notice":
        _notices(session, merchant, run, allowed)
    return len(allowed)


def send_after_run(session, run, now):
    """The run's mass message or SMS, as one send to its members who were not capped."""
    message = run.message or {}
    if message.get("channel") not in SEND_CHANNELS or not run.notices:
        return None
    tz_name = session.get(Merchant, run.merchant_id).timezone
    send = Send(merchant_id=run.merchant_id, title=f"营销活动 #{run.campaign_id} {run.occasion}"[:40], filters={},
                content_kind="text", channel=message["channel"], sms_fallback=message["channel"] == "best",
                quiet_skip=False, text=message.get("text") or "", sms_body=message.get("sms") or "",
                status="draft", scheduled_at=sms_send_start(now, tz_name),  # not at night, on any channel
                confirmed_at=now, created_at=now)
    session.add(send)
    session.flush()
    run.send_id = send.id
    outreach_run.schedule_now(session, send, now)
    return send


def in_quiet_hours(moment, tz_name):
    local = to_local(moment, tz_name).time()
    return not (QUIET_UNTIL <= local < QUIET_FROM)


def _take_allowance(session, merchant_id, run, chunk, week, cap):
    if cap <= 0:
        return set()
    members = select(literal(merchant_id), CampaignTarget.member_id, literal(week), literal(1)).where(
        CampaignTarget.run_id == run.id, CampaignTarget.id.between(chunk.first_id, chunk.last_id),
        CampaignTarget.state == "rewarded")
    return allowances.take(session, MessageAllowance, members, cap)


def _notices(session, merchant, run, member_ids):
    """券到账 for each member's first code of this run."""
    if not member_ids:
        return
    prefix = f"c{run.campaign_id}r{run.id}:"
    codes = session.scalars(select(CouponCode).where(
        CouponCode.merchant_id == merchant.id, CouponCode.campaign_id == run.campaign_id,
        CouponCode.member_id.in_(sorted(member_ids)), CouponCode.idempotency_key.startswith(prefix))
        .order_by(CouponCode.member_id, CouponCode.id)).all()
    seen = set()
    src = tracked_links.campaign_token(session, session.get(Campaign, run.campaign_id)) if codes else None
    for code in codes:
        if code.member_id in seen:
            continue
        seen.add(code.member_id)
        notices.coupon_received(session, merchant, code, code.template.title,
                                until_text(code.ends_at, merchant.timezone), src=src)
