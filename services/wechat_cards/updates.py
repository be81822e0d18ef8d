"""Telling WeChat a member's totals on a card they hold (card/membercard/updateuser): the points (bonus) and
balance as totals, never as increments, so a retried or reordered call cannot count twice, and the level in the
card's level field. Only what the card supplies is sent (a card without balance takes no balance). WeChat's own
change messages stay off: the template notices (services/wechat/notices.py) already tell the member."""
from dataclasses import dataclass

import requests
from sqlalchemy import func, select
from wechatpy.exceptions import WeChatClientException

from domain.wechat_member_card import FIELD_VALUE_CHARS, fit_text
from models import Level, Member, Wallet

GONE = {40056, 40127}  # no such code, or the user deleted (or gave away) the card: nothing left to update


@dataclass(frozen=True)
class Totals:
    points: int
    balance: int  # fen, as WeChat counts a member card's balance
    level: str


@dataclass(frozen=True)
class Outcome:
    gone: bool = False
    error: str | None = None  # WeChat's refusal or an unreachable WeChat, in words; tried again later


def update_holding(client, card, holding, totals):
    """One updateuser call for one held card; its Outcome."""
    fields = {"custom_field_value1": fit_text(totals.level, FIELD_VALUE_CHARS),
              "notify_optional": {"is_notify_bonus": False, "is_notify_balance": False,
                                  "is_notify_custom_field1": False}}
    if card.supply_bonus:
        fields["bonus"] = int(totals.points)
    if card.supply_balance:
        fields["balance"] = int(totals.balance)
    try:
        client.card.update_membercard(holding.code, holding.card_id, **fields)
    except WeChatClientException as exc:
        if exc.errcode in GONE:
            return Outcome(gone=True)
        return Outcome(error=f"微信拒绝了会员卡更新：{exc.errmsg}（错误码 {exc.errcode}）")
    except requests.RequestException:
        return Outcome(error="无法连接微信服务器")
    return Outcome()


def member_totals(session, merchant_id, member_ids):
    """{member_id: Totals} as they are now."""
    if not member_ids:
        return {}
    balances = dict(session.execute(
        select(Wallet.member_id, func.sum(Wallet.principal + Wallet.bonus))
        .where(Wallet.merchant_id == merchant_id, Wallet.member_id.in_(member_ids), Wallet.kind == "member")
        .group_by(Wallet.member_id)).all())
    rows = session.execute(
        select(Member.id, Member.points_balance, Level.name).outerjoin(Level, Level.id == Member.level_id)
        .where(Member.merchant_id == merchant_id, Member.id.in_(member_ids))).all()
    return {member_id: Totals(points=int(points or 0), balance=int(balances.get(member_id) or 0), level=level or "")
            for member_id, points, level in rows}
