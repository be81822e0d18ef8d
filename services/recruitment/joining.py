"""What follows a member's first claim of the card: the join credited to its source (and staff member), the guide
bound, the inviter recorded and rewarded, the recruiter's commission, a 退订 the phone sent before it was a member.
Called by services/members/join.py and by the staff page's assisted join, inside their transaction."""
from sqlalchemy import select

from domain.clock import now_utc
from models import SmsOptOut
from services.recruitment import attribution, commission, guides, referrals


def after_join(session, merchant, member, touch=attribution.NOBODY, now=None):
    """Once per member: a second call (the other app's claim, a retry) records nothing again."""
    now = now or now_utc()
    if not attribution.joined(session, merchant, member.id, touch, now=now):
        return False
    guides.bind_on_join(session, merchant, member, touch, now=now)
    if is_new_customer(member):
        # A customer who already paid or topped up here (a member made at the counter, claiming the card in WeChat
        # only now) is nobody's recruit: no invite reward, no new-member commission.
        referrals.after_join(session, merchant, member, touch, now=now)
        commission.for_join(session, merchant, member, touch, now=now)
    _keep_earlier_opt_out(session, merchant.id, member, now)
    return True


def is_new_customer(member):
    return not (member.visit_count or member.total_spend or member.total_topup)


def _keep_earlier_opt_out(session, merchant_id, member, now):
    """A number that replied T to an invitation before it joined stays out of marketing SMS as a member."""
    if member.sms_opt_out_at is not None:
        return
    opted_out = session.scalar(select(SmsOptOut.created_at).where(SmsOptOut.merchant_id == merchant_id,
                                                                 SmsOptOut.mobile == member.mobile))
    if opted_out is not None:
        member.sms_opt_out_at = opted_out
        session.flush()
