"""What follows a member's first claim of the card: the join credited to its source (and staff member), the guide
bound, the inviter recorded and rewarded, the recruiter's commission. Called by services/members/join.py and by the
staff page's assisted join, inside their transaction."""
from services.recruitment import attribution, commission, guides, referrals


def after_join(session, merchant, member, touch=attribution.NOBODY, now=None):
    """Once per member: a second call (the other app's claim, a retry) records nothing again."""
    if not attribution.joined(session, merchant, member.id, touch, now=now):
        return False
    guides.bind_on_join(session, merchant, member, touch, now=now)
    referrals.after_join(session, merchant, member, touch, now=now)
    commission.for_join(session, merchant, member, touch, now=now)
    return True
