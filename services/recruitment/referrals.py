"""Member referrals (老会员推荐): an invitee who joins through a member's invite link is recorded under them
(members.referrer_id, which also feeds the till's referral points chain), a self-referral is refused with its
reason kept, and the referrers up to three levels are rewarded for the invitee's join and first payment (points
and/or a coupon), once per invitee, event and level: the key 'referral:<invitee>:<event>:<level>' is unique on
the reward row, the points transaction and the coupon code alike."""
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from domain.clock import now_utc
from domain.errors import DomainError
from domain.phone import normalise_mobile
from domain.recruitment import REFERRAL_REWARD_LEVELS
from domain.referrals import REFERRAL_EVENT_LABELS, paid_levels, reward_key
from models import CouponTemplate, Fan, Member, MemberIdentity, ReferralReward
from services.coupons import issue as coupon_issue
from services.points import ledger as points_ledger
from services.recruitment import attribution, referral_settings, sources
from services.shared.insert_once import insert_once
from services.shared.tenancy import scoped
from services.till.settings import referrer_chain

# The identities that are one person's own account (a physical card number can change hands).
PERSONAL_KINDS = ("wechat_openid", "wechat_unionid", "alipay_user_id")
# Far enough up an inviter's chain to find the invitee in any chain a person could build by hand.
CYCLE_SEARCH_DEPTH = 64


def after_join(session, merchant, member, touch, now=None):
    """The invitee's first claim: record the inviter and reward the join. Returns the inviter, or None when the
    touch is no invite or the referral was refused (the join itself always stands)."""
    inviter_id = _inviter_id(session, merchant.id, touch)
    if inviter_id is None:
        return None
    now = now or now_utc()
    settings = referral_settings.get(session, merchant.id)
    if not settings.invite_enabled:
        return _refuse(session, merchant.id, member, inviter_id, "商家已关闭邀请有礼", now)
    inviter = session.scalars(scoped(Member, merchant.id).where(Member.id == inviter_id)).one_or_none()
    if inviter is None:
        return None
    reason = self_referral_reason(session, merchant.id, inviter, member)
    if reason is not None:
        return _refuse(session, merchant.id, member, inviter.id, reason, now)
    if not _set_referrer(session, merchant.id, member, inviter):
        return _refuse(session, merchant.id, member, inviter.id, "已有其他推荐人，本次邀请不计入", now)
    _reward(session, merchant, member, "join", referral_settings.rewards_of(settings), now)
    return inviter


def on_first_payment(session, merchant, member, now=None):
    """The invitee's first payment (the till or an order; the caller calls once, when attribution.first_payment
    recorded it): reward the chain, if the member came through their referrer's invite link."""
    if member.referrer_id is None:
        return []
    settings = referral_settings.get(session, merchant.id)
    if not settings.invite_enabled:
        return []
    joined = attribution.join_of(session, merchant.id, member.id)
    source = sources.get(session, merchant.id, joined.source_id) if joined is not None else None
    if source is None or source.kind != "member" or source.member_id != member.referrer_id:
        return []  # a referrer typed in by staff, or an invite refused: no invite reward
    return _reward(session, merchant, member, "first_payment", referral_settings.rewards_of(settings), now)


def _inviter_id(session, merchant_id, touch):
    if touch is None or touch.source_id is None:
        return None
    source = sources.get(session, merchant_id, touch.source_id)
    if source is None or source.kind != "member":
        return None
    return source.member_id


# --- who may not invite whom -------------------------------------------------------------------------------

def self_referral_reason(session, merchant_id, inviter, invitee):
    """Why `inviter` cannot be `invitee`'s referrer, in words; None when they can."""
    if inviter.id == invitee.id:
        return "不能邀请自己"
    if normalise_mobile(inviter.mobile) == normalise_mobile(invitee.mobile):
        return "邀请人与好友手机号相同"
    if _personal_accounts(session, merchant_id, inviter.id) & _personal_accounts(session, merchant_id, invitee.id):
        return "邀请人与好友使用同一微信或支付宝账号"
    ancestors = referrer_chain(session, inviter, CYCLE_SEARCH_DEPTH)
    if any(ancestor.id == invitee.id for ancestor in ancestors):
        return "好友是邀请人的上级推荐人，推荐关系不能形成循环"
    return None


def _personal_accounts(session, merchant_id, member_id):
    """{(kind, value)} of the WeChat and Alipay accounts known for a member: bound identities (whichever app or
    official account) and the followers linked to them (a follower's unionid is the person across accounts)."""
    bound = session.execute(select(MemberIdentity.kind, MemberIdentity.value).where(
        MemberIdentity.merchant_id == merchant_id, MemberIdentity.member_id == member_id,
        MemberIdentity.kind.in_(PERSONAL_KINDS))).all()
    fans = session.execute(select(Fan.openid, Fan.unionid).where(Fan.merchant_id == merchant_id,
                                                                 Fan.member_id == member_id)).all()
    accounts = {(row.kind, row.value) for row in bound}
    accounts |= {("wechat_openid", row.openid) for row in fans}
    accounts |= {("wechat_unionid", row.unionid) for row in fans if row.unionid}
    return accounts


def _set_referrer(session, merchant_id, member, inviter):
    """Conditional: only a member without a referrer (or with this one already, typed in by staff) takes it."""
    changed = session.execute(
        update(Member).where(Member.merchant_id == merchant_id, Member.id == member.id,
                             or_(Member.referrer_id.is_(None), Member.referrer_id == inviter.id))
        .values(referrer_id=inviter.id).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return False
    set_committed_value(member, "referrer_id", inviter.id)
    return True


def _refuse(session, merchant_id, member, inviter_id, reason, now):
    """Keep why the invite counted for nothing (once per invitee), so the back office can say so."""
    insert_once(session, ReferralReward, {
        "merchant_id": merchant_id, "key": f"referral:{member.id}:refused", "invitee_id": member.id,
        "referrer_id": inviter_id, "event": "join", "level": 1, "outcome": "refused", "points": 0,
        "note": reason[:200], "created_at": now}, ("merchant_id", "key"))
    return None


# --- rewards -----------------------------------------------------------------------------------------------

def _reward(session, merchant, invitee, event, rewards, now):
    """Each paid level with a referrer at that height, nearest first; returns the reward rows made now."""
    levels = paid_levels(rewards, event)
    if not levels:
        return []
    chain = referrer_chain(session, invitee, REFERRAL_REWARD_LEVELS)
    given = []
    for level, points, template_id in levels:
        if level > len(chain):
            break
        row_id = _give(session, merchant, invitee, chain[level - 1], event, level, points, template_id, now)
        if row_id is not None:
            given.append(row_id)
    return given


def _give(session, merchant, invitee, referrer, event, level, points, template_id, now):
    """One level's reward. The row is claimed first: of two requests at once the second waits on the unique key,
    then finds it taken and gives nothing. A coupon that cannot be given (out of stock, stopped, the limit) is
    skipped with a note; the join or payment stands."""
    key = reward_key(invitee.id, event, level)
    row_id = insert_once(session, ReferralReward, {
        "merchant_id": merchant.id, "key": key, "invitee_id": invitee.id, "referrer_id": referrer.id,
        "event": event, "level": level, "outcome": "skipped", "points": 0, "created_at": now},
        ("merchant_id", "key"))
    if row_id is None:
        return None
    if referrer.status != "active":
        _settle(session, row_id, outcome="skipped", note="邀请人会员卡已停用，未发放")
        return row_id
    given_points, code, notes = 0, None, []
    reason = f"邀请奖励：{REFERRAL_EVENT_LABELS[event]}" + ("" if level == 1 else f"（{level} 级）")
    if points:
        points_ledger.earn(session, merchant, referrer.id, points, kind="referral", key=key, reason=reason,
                           reference=("member", invitee.id), now=now)
        given_points = points
    title = _template_title(session, merchant.id, template_id)
    if template_id is not None:
        try:
            with session.begin_nested():
                code = coupon_issue.claim(session, merchant, template_id, referrer.id, channel="referral", key=key,
                                          now=now)
        except DomainError as exc:
            notes.append(f"优惠券{f'「{title}」' if title else ''}未发放：{exc.message}")
    _settle(session, row_id, outcome="given" if given_points or code is not None else "skipped",
            points=given_points, coupon_template_id=template_id if title is not None else None,
            coupon_code_id=code.id if code else None, note="；".join(notes)[:200] or None)
    return row_id


def _template_title(session, merchant_id, template_id):
    """The coupon's title, None for no coupon or one that is not (or no longer) the merchant's."""
    if template_id is None:
        return None
    return session.scalar(select(CouponTemplate.title).where(CouponTemplate.merchant_id == merchant_id,
                                                             CouponTemplate.id == template_id))


def _settle(session, row_id, **values):
    session.execute(update(ReferralReward).where(ReferralReward.id == row_id).values(**values)
                    .execution_options(synchronize_session=False))
