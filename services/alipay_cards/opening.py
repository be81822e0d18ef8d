"""领取到支付宝卡包: the merchant's member card opened in a member's Alipay card package by their Alipay user id
(alipay.marketing.card.open) with their points, balance and level as they are now. The out_serial_no names the
merchant, the member and how many cards they removed before, so a retried tap gets Alipay's first answer and a
member who removed the card can open it again. One open card per member; Alipay's card number (biz_card_no) is kept
and the till resolves it to the member."""
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from channels import alipay as alipay_channel
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from models import AlipayCardHolding, AlipayCardTemplate, Member, WechatMemberCard
from services.alipay_cards.calls import call
from services.card_push import pending as card_push
from services.wechat_cards.updates import member_totals

BEIJING = ZoneInfo("Asia/Shanghai")
VALID_UNTIL = "2099-12-31 23:59:59"  # a member card does not expire
LEVEL_CHARS = 12
MAX_CARD_NO = 32


class OpeningRefused(DomainError):
    code = "alipay_card_open_refused"


def beijing_time(moment):
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def card_figures(face, totals):
    """card_info / card_ext_info's figures: what the face shows (points and balance only when it supplies them)."""
    figures = {"level": (totals.level or "会员")[:LEVEL_CHARS]}
    if face is None or face.supply_bonus:
        figures["point"] = str(max(int(totals.points), 0))
    if face is None or face.supply_balance:
        figures["balance"] = yuan(max(int(totals.balance), 0))
    return figures


def offered_template(session, merchant_id):
    """The template_id members may open, or None (no template in Alipay yet)."""
    return session.scalar(select(AlipayCardTemplate.template_id).where(
        AlipayCardTemplate.merchant_id == merchant_id, AlipayCardTemplate.synced_version > 0,
        AlipayCardTemplate.template_id.is_not(None)))


def open_holding(session, merchant_id, member_id):
    return session.scalars(select(AlipayCardHolding).where(
        AlipayCardHolding.merchant_id == merchant_id, AlipayCardHolding.member_id == member_id,
        AlipayCardHolding.state == "open")).first()


def open_card(session, merchant, member, alipay_user_id, now=None):
    """The member's open holding, opening the card in Alipay first if they hold none. OpeningRefused (nothing kept)
    when Alipay refuses or cannot be reached."""
    if member.merchant_id != merchant.id:
        raise NotFound("记录不存在")
    held = open_holding(session, merchant.id, member.id)
    if held is not None:
        return held
    template_id = offered_template(session, merchant.id)
    if template_id is None:
        raise OpeningRefused("商户尚未开通支付宝会员卡")
    now = now or now_utc()
    removed = session.scalar(select(func.count()).where(AlipayCardHolding.merchant_id == merchant.id,
                                                        AlipayCardHolding.member_id == member.id))
    serial = f"{merchant.id}o{member.id}n{removed}"
    face = session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)).one_or_none()
    totals = member_totals(session, merchant.id, [member.id])[member.id]
    answer = call(alipay_channel.client_for(merchant), "alipay.marketing.card.open", {
        "out_serial_no": serial, "card_template_id": template_id,
        "card_user_info": {"user_uni_id": alipay_user_id, "user_uni_id_type": "UID"},
        "card_ext_info": {"external_card_no": str(member.id), "open_date": beijing_time(now),
                          "valid_date": VALID_UNTIL, **card_figures(face, totals)}})
    if answer.error:
        raise OpeningRefused(f"支付宝暂时无法开卡：{answer.error}")
    number = str((answer.body.get("card_info") or {}).get("biz_card_no") or "")
    if not number:
        raise OpeningRefused("支付宝没有返回会员卡号，请稍后再试")
    holding = AlipayCardHolding(merchant_id=merchant.id, member_id=member.id, template_id=template_id,
                                alipay_user_id=alipay_user_id, out_serial_no=serial, biz_card_no=number,
                                state="open", updated_at=now)
    try:
        with session.begin_nested():
            session.add(holding)
            session.flush()
    except IntegrityError:  # a twin tap kept the same card first
        holding = open_holding(session, merchant.id, member.id)
        if holding is None:
            raise OpeningRefused("开卡未完成，请稍后再试") from None
    # A change between reading the totals and this commit finds the card now: it is pushed like any other.
    card_push.member_changed(session, merchant.id, member.id)
    return holding


def member_of_card_no(session, merchant_id, number):
    """The member whose open Alipay card has this number (what staff scan from the Alipay card package), or None."""
    if not number or len(number) > MAX_CARD_NO:
        return None
    return session.scalars(select(Member).join(AlipayCardHolding, AlipayCardHolding.member_id == Member.id).where(
        AlipayCardHolding.merchant_id == merchant_id, AlipayCardHolding.biz_card_no == number,
        AlipayCardHolding.state == "open", Member.merchant_id == merchant_id)).first()
