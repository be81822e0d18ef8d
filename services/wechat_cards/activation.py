"""Activating a member card a user added to their WeChat card package (激活): the card's activation link opens our
page with WeChat's `encrypt_code` and `card_id`; the person signed in through WeChat there is (or becomes, through
the member pages' claim with a verified phone) a member; the holding is bound to that member and WeChat is told
with card/membercard/activate: the membership number staff scan, the member's points and balance.

The membership number is the member's physical card number when they have one in use, else the card's own code
(the QR WeChat shows on the card): the till resolves both (services/till/quote.identify, `member_of_code`).
"""
import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from domain.wechat_member_card import FIELD_VALUE_CHARS, fit_text
from models import Member, MemberIdentity, WechatCardHolding, WechatMemberCard
from services.card_push import pending as card_push
from services.wechat_cards import events as card_events, updates

MAX_ENCRYPT_CODE = 512


class ActivationRefused(DomainError):
    code = "wechat_card_activation_refused"


def wechat_call(call):
    try:
        return call()
    except WeChatClientException as exc:
        raise ActivationRefused(f"微信暂时无法激活会员卡：{exc.errmsg}（错误码 {exc.errcode}）") from None
    except requests.RequestException:
        raise ActivationRefused("无法连接微信服务器，请稍后再试") from None


def holding_from_link(session, merchant, card_id, encrypt_code, openid):
    """The holding the activation link names, which must be this WeChat user's card of this merchant."""
    card_id, encrypt_code = (card_id or "").strip(), (encrypt_code or "").strip()
    ours = session.scalar(select(WechatMemberCard.card_id).where(WechatMemberCard.merchant_id == merchant.id))
    if not ours or card_id != ours or not encrypt_code or len(encrypt_code) > MAX_ENCRYPT_CODE \
            or "\x00" in encrypt_code:
        raise NotFound("会员卡不存在")
    code = str(wechat_call(lambda: client_for(merchant).card.decrypt_code(encrypt_code)) or "")
    if not code or len(code) > card_events.MAX_CODE:
        raise NotFound("会员卡不存在")
    row = session.scalars(select(WechatCardHolding).where(
        WechatCardHolding.merchant_id == merchant.id, WechatCardHolding.card_id == card_id,
        WechatCardHolding.code == code).with_for_update()).one_or_none()
    if row is None:
        # The user_get_card event has not arrived (or was lost): WeChat's code/get says whose card it is.
        owner = wechat_call(lambda: client_for(merchant).card.get_code(code, card_id)).get("openid")
        if owner != openid:
            raise NotFound("会员卡不存在")
        row, _new = card_events.record(session, merchant, card_id, code, openid)
    if row.openid != openid or row.state == "deleted":
        raise NotFound("会员卡不存在")
    return row


def membership_number(session, member, holding):
    number = session.scalar(select(MemberIdentity.value).where(
        MemberIdentity.merchant_id == member.merchant_id, MemberIdentity.member_id == member.id,
        MemberIdentity.kind == "card_no", MemberIdentity.active.is_(True), MemberIdentity.lost_at.is_(None),
        MemberIdentity.closed_at.is_(None)).order_by(MemberIdentity.id.desc()).limit(1))
    return number if number and len(number) <= 32 else holding.code


def activate(session, merchant, holding, member):
    """Bind the holding to the member and activate it in WeChat with their number, points and balance. A card
    already activated for this member is left as it is; one bound to another member is refused."""
    if holding.member_id is not None and holding.member_id != member.id and holding.state == "activated":
        raise ActivationRefused("这张会员卡已绑定其他会员")
    if holding.state == "activated" and holding.member_id == member.id:
        return holding
    number = membership_number(session, member, holding)
    totals = updates.member_totals(session, merchant.id, [member.id])[member.id]
    wechat_call(lambda: client_for(merchant).card.activate_membercard(
        number, holding.code, card_id=holding.card_id, init_bonus=totals.points, init_balance=totals.balance,
        init_custom_field_value1=fit_text(totals.level, FIELD_VALUE_CHARS)))
    holding.member_id, holding.state, holding.updated_at = member.id, "activated", now_utc()
    session.flush()
    # A change committed while WeChat was activating found no activated card to mark: one push after this commit
    # carries whatever changed since the totals above were read.
    card_push.member_changed(session, merchant.id, member.id)
    return holding


def activate_known_member(session, merchant, card_id, code):
    """A card added (or WeChat's activation form sent) by a WeChat user who is a member already: activated for that
    member with no page to open (一键激活). None when there is nothing to do."""
    row = card_events.holding_for(session, merchant.id, card_id, code, lock=True)
    if row is None or row.state != "added":
        return None
    member_id = row.member_id or card_events.member_of_openid(session, merchant, row.openid)
    member = session.scalars(select(Member).where(Member.merchant_id == merchant.id, Member.id == member_id)
                             ).one_or_none() if member_id else None
    if member is None or member.status != "active":
        return None
    return activate(session, merchant, row, member)


def member_of_code(session, merchant_id, code):
    """The member whose activated WeChat card shows this code (what staff scan from the card package), or None."""
    if not code or len(code) > card_events.MAX_CODE:
        return None
    return session.scalars(select(Member).join(WechatCardHolding, WechatCardHolding.member_id == Member.id).where(
        WechatCardHolding.merchant_id == merchant_id, WechatCardHolding.code == code,
        WechatCardHolding.state == "activated", Member.merchant_id == merchant_id)).first()
