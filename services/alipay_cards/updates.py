"""Telling Alipay a member's totals on the cards they opened (alipay.marketing.card.update): points, balance (yuan)
and level as totals, never increments, so a retried or reordered call cannot count twice. A card Alipay no longer
has (CARD_NOT_EXIST: the user deleted it) is marked deleted and not pushed again."""
from sqlalchemy import select

from channels import alipay as alipay_channel
from domain.errors import DomainError
from models import AlipayCardHolding, WechatMemberCard
from services.alipay_cards.calls import call
from services.alipay_cards.opening import beijing_time, card_figures

GONE = {"CARD_NOT_EXIST"}


def open_holdings(session, merchant_id, member_ids):
    """{member_id: [open holdings]}."""
    held = {}
    if not member_ids:
        return held
    for holding in session.scalars(select(AlipayCardHolding).where(
            AlipayCardHolding.merchant_id == merchant_id, AlipayCardHolding.member_id.in_(member_ids),
            AlipayCardHolding.state == "open").order_by(AlipayCardHolding.id)):
        held.setdefault(holding.member_id, []).append(holding)
    return held


def push(session, merchant, held, totals, now):
    """Update each held card with its member's totals. {member_id: error in words} for those to try again."""
    if not held:
        return {}
    try:
        client = alipay_channel.client_for(merchant)
    except DomainError as exc:
        return dict.fromkeys(held, exc.message)
    face = session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)).one_or_none()
    errors = {}
    for member_id, holdings in held.items():
        if member_id not in totals:
            continue
        figures = card_figures(face, totals[member_id])
        for holding in holdings:
            answer = call(client, "alipay.marketing.card.update",
                          {"target_card_no": holding.biz_card_no, "target_card_no_type": "BIZ_CARD",
                           "occur_time": beijing_time(now), "card_info": figures})
            if answer.sub_code in GONE:
                holding.state, holding.updated_at = "deleted", now
            elif answer.error:
                errors[member_id] = f"支付宝拒绝了会员卡更新：{answer.error}"
    session.flush()
    return errors
