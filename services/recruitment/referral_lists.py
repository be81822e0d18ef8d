"""What members and the back office read of referrals (老会员推荐): a member's invited friends (when they joined,
whether they have paid, what each brought the member), the member's totals, what an invitee's join gave whom, and
why an invite counted for nothing. Every query is scoped to the merchant."""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from domain.referrals import gift_words
from models import Attribution, Member, ReferralReward
from services.shared.tenancy import scoped


@dataclass(frozen=True)
class Friend:
    """One invited friend as their referrer sees them."""
    member_id: int
    name: Optional[str]
    mobile: str
    joined_at: datetime
    paid: bool
    rewards: tuple  # words of what this friend brought the referrer ("100 积分 + 满50减10券"), nearest first


@dataclass(frozen=True)
class Totals:
    friends: int
    paid_friends: int
    points: int  # every level
    coupons: int
    indirect_points: int  # from friends of friends (levels 2 and 3)
    indirect_coupons: int


def friend_count(session, merchant_id, member_id):
    return session.scalar(select(func.count(Member.id)).where(Member.merchant_id == merchant_id,
                                                              Member.referrer_id == member_id)) or 0


def friends_of(session, merchant_id, member_id, *, limit=100, offset=0):
    """The members whose referrer is `member_id`, newest first, with the join date their card claim recorded."""
    people = session.scalars(scoped(Member, merchant_id).where(Member.referrer_id == member_id)
                             .order_by(Member.id.desc()).limit(limit).offset(offset)).all()
    ids = [person.id for person in people]
    if not ids:
        return []
    events = session.execute(select(Attribution.member_id, Attribution.event, Attribution.created_at).where(
        Attribution.merchant_id == merchant_id, Attribution.member_id.in_(ids),
        Attribution.event.in_(("join", "first_payment")))).all()
    joined = {row.member_id: row.created_at for row in events if row.event == "join"}
    paid = {row.member_id for row in events if row.event == "first_payment"}
    brought = {}
    for row in _rewards(session, merchant_id, ReferralReward.referrer_id == member_id,
                        ReferralReward.invitee_id.in_(ids), ReferralReward.outcome == "given"):
        brought.setdefault(row.invitee_id, []).append(reward_words(row))
    return [Friend(person.id, person.name, person.mobile, joined.get(person.id, person.created_at),
                   person.id in paid or person.visit_count > 0, tuple(brought.get(person.id, ())))
            for person in people]


def totals_of(session, merchant_id, member_id):
    """What inviting has brought a member so far, in one pass over their reward rows."""
    rows = session.execute(select(ReferralReward.level, ReferralReward.points, ReferralReward.coupon_code_id)
                           .where(ReferralReward.merchant_id == merchant_id, ReferralReward.referrer_id == member_id,
                                  ReferralReward.outcome == "given")).all()
    first_paid = select(Attribution.id).where(Attribution.merchant_id == merchant_id,
                                              Attribution.member_id == Member.id,
                                              Attribution.event == "first_payment").exists()
    paid_friends = session.scalar(select(func.count(Member.id)).where(
        Member.merchant_id == merchant_id, Member.referrer_id == member_id,
        or_(Member.visit_count > 0, first_paid))) or 0  # as friends_of says 已消费
    indirect = [row for row in rows if row.level > 1]
    return Totals(friends=friend_count(session, merchant_id, member_id), paid_friends=paid_friends,
                  points=sum(row.points for row in rows), coupons=sum(1 for row in rows if row.coupon_code_id),
                  indirect_points=sum(row.points for row in indirect),
                  indirect_coupons=sum(1 for row in indirect if row.coupon_code_id))


def given_for(session, merchant_id, invitee_id):
    """Every reward row an invitee's join and first payment made (and a refusal), oldest first."""
    return _rewards(session, merchant_id, ReferralReward.invitee_id == invitee_id)


def refusal_of(session, merchant_id, invitee_id):
    """Why this member's invite counted for nothing, or None."""
    return session.scalars(scoped(ReferralReward, merchant_id).where(
        ReferralReward.invitee_id == invitee_id, ReferralReward.outcome == "refused")).first()


def refused_invites(session, merchant_id, referrer_id, limit=50):
    """Invites of this member that counted for nothing (self-referrals and the like), newest first."""
    return session.scalars(scoped(ReferralReward, merchant_id).options(selectinload(ReferralReward.invitee))
                           .where(ReferralReward.referrer_id == referrer_id, ReferralReward.outcome == "refused")
                           .order_by(ReferralReward.id.desc()).limit(limit)).all()


def reward_words(row):
    """A reward row in words: what was given, else why nothing was."""
    title = row.coupon_template.title if row.coupon_template is not None and row.coupon_code_id else ""
    words = gift_words(row.points, title)
    return words or row.note or "未发放"


def _rewards(session, merchant_id, *conditions):
    return session.scalars(scoped(ReferralReward, merchant_id)
                           .options(selectinload(ReferralReward.coupon_template))
                           .where(*conditions).order_by(ReferralReward.id)).all()
