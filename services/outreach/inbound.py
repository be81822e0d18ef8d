"""What comes back from the channels: WeChat's MASSSENDJOBFINISH figures for a mass call, and a member's SMS
reply of T (or an unsubscribe from their own page), after which no marketing SMS goes to them again."""
from sqlalchemy import select, update

from domain.clock import now_utc
from domain.outreach import is_opt_out_reply
from domain.phone import normalise_mobile
from models import Fan, Member, Merchant, SmsOptOut, WechatMassCall
from services.shared.insert_once import insert_once
from services.shared.tenancy import scoped


def mass_job_finished(session, merchant_id, msg_id, *, total, sent, errors, now=None):
    """Record WeChat's own counts against the call; a replayed or unknown event changes nothing. True if recorded."""
    call = session.scalars(scoped(WechatMassCall, merchant_id).where(WechatMassCall.msg_id == str(msg_id)[:40])
                           .with_for_update()).first()
    if call is None or call.reported_at is not None:
        return False
    call.reported_at = now or now_utc()
    call.total_count, call.sent_count, call.error_count = _count(total), _count(sent), _count(errors)
    session.flush()
    return True


def _count(value):
    try:
        return max(0, min(int(value), 10**9))
    except (TypeError, ValueError):
        return 0


def sms_reply(session, merchant_id, mobile, text, now=None):
    """A reply to a marketing SMS: T / TD / 退订 opts the number out (an invitation never goes to it again) and every
    member with that phone. Returns how many members."""
    if not is_opt_out_reply(text):
        return 0
    mobile = normalise_mobile(mobile)
    if session.get(Merchant, merchant_id) is not None:  # the number too: invitations reach people not yet members
        insert_once(session, SmsOptOut, {"merchant_id": merchant_id, "mobile": mobile, "created_at": now or now_utc()},
                    ("merchant_id", "mobile"))
    return opt_out(session, merchant_id, mobile, now)


def opt_out(session, merchant_id, mobile, now=None):
    result = session.execute(update(Member).where(Member.merchant_id == merchant_id, Member.mobile == mobile,
                                                  Member.sms_opt_out_at.is_(None))
                             .values(sms_opt_out_at=now or now_utc()).execution_options(synchronize_session=False))
    return result.rowcount


def set_member_choice(session, member, wants_marketing_sms, now=None):
    """The member's own switch (接收营销短信) on their page."""
    member.sms_opt_out_at = None if wants_marketing_sms else (member.sms_opt_out_at or now or now_utc())
    session.flush()
    return member


def follower_openid(session, merchant, mobile):
    """The openid of the follower whose member has this phone: where a preview (预览) goes."""
    return session.scalar(select(Fan.openid).join(Member, Member.id == Fan.member_id).where(
        Fan.merchant_id == merchant.id, Fan.app_id == (merchant.wechat_app_id or ""), Fan.subscribed.is_(True),
        Member.merchant_id == merchant.id, Member.mobile == mobile).order_by(Fan.id.desc()).limit(1))
