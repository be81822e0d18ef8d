"""A member page shared inside WeChat (微信 / 朋友圈 through the JS-SDK): which tracked link the shared card carries,
and what the card says. A signed-in member shares their own invite link (老会员推荐, when the merchant allows
invites); a visitor who came through a staff member's, a store's or a member's link passes on that person's link
for the channel shared to; anyone else shares the merchant's own link of that channel."""
from dataclasses import dataclass

from domain.errors import DomainError
from models import CardTemplate, RecruitSettings
from services.recruitment import sources

# WeChat's two share targets, and the share channel each one is counted under.
SHARE_TARGETS = {"chat": "wechat", "timeline": "moments"}


@dataclass(frozen=True)
class ShareCard:
    title: str
    desc: str
    source_id: int
    token: str
    template_id: int | None = None  # a paid membership's card: its picture beside the title


def cards_for(session, merchant, *, member=None, came_through=None):
    """{'chat': ShareCard, 'timeline': ShareCard}: what sharing this page to a chat and to 朋友圈 sends."""
    cards = {}
    for target, channel in SHARE_TARGETS.items():
        source = source_for(session, merchant, channel, member=member, came_through=came_through)
        title, desc = _words(session, merchant, source)
        paid = source.card_template_id if source.target == "paid_membership" else None
        cards[target] = ShareCard(title, desc, source.id, source.token, paid)
    return cards


def source_for(session, merchant, channel, *, member=None, came_through=None):
    """The source a page shared to `channel` ('wechat' or 'moments') credits."""
    if channel not in SHARE_TARGETS.values():
        raise DomainError("未知的分享渠道")
    invites = invites_open(session, merchant.id)
    if member is not None and invites:
        return sources.for_member(session, member, share_channel=channel)
    source = came_through
    if source is not None:
        aim = {"target": source.target, "template_id": source.card_template_id}
        if source.staff is not None and source.staff.active:
            return sources.for_staff(session, source.staff, store_id=source.store_id, share_channel=channel, **aim)
        if source.store is not None:
            return sources.for_store(session, source.store, share_channel=channel, **aim)
        if source.member is not None and invites:
            return sources.for_member(session, source.member, share_channel=channel)
        if source.kind == "share":
            return sources.for_share(session, merchant.id, channel, **aim)
    return sources.for_share(session, merchant.id, channel)


def invites_open(session, merchant_id):
    """Whether members' invite links count (招募设置); on until the merchant turns them off."""
    settings = session.get(RecruitSettings, merchant_id)
    return settings is None or settings.invite_enabled


def _words(session, merchant, source):
    if source.target == "paid_membership" and source.card_template_id is not None:
        template = session.get(CardTemplate, source.card_template_id)
        if template is not None and template.merchant_id == merchant.id:
            return f"开通{template.title} · {merchant.name}", "开通付费会员，尽享会员专属价格与权益"
    if source.kind == "member":
        return f"邀请你加入{merchant.name}会员", "领取会员卡，享会员价、积分和储值优惠"
    if source.kind == "staff" and source.staff is not None:
        return f"{source.staff.name}邀请你加入{merchant.name}会员", "领取会员卡，享会员价、积分和储值优惠"
    return f"{merchant.name}会员卡，免费领取", "领取会员卡，享会员价、积分和储值优惠"
