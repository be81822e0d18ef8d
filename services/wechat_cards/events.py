"""What WeChat tells the official account about the member card in users' card packages (the callback's card
events), written to models.WechatCardHolding.

- user_get_card: the user added the card (领取); a holding row (added) for the code, bound to the member whose
  openid it is. IsRestoreMemberCard=1 brings a deleted card back with its code, to be activated again.
- user_del_card: the user deleted it; the holding is kept as deleted (a later, out-of-order user_get_card for the
  same code does not bring it back unless it says it is a restore).
- user_view_card, update_member_card, submit_membercard_user_info: a holding we missed is recorded, nothing else
  changes here (the activation is services/wechat_cards/activation.py).

Only the merchant's own card counts: an event naming any other card_id is ignored. The callback has already
checked the signature and dropped a repeated delivery (services/wechat/inbound.py) before any of this runs.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from models import MemberIdentity, WechatCardHolding, WechatMemberCard

MAX_CODE, MAX_OPENID = 32, 128


def _ours(session, merchant, card_id, code, openid):
    """Whether the event is about this merchant's card, with a code and openid our columns hold."""
    if not card_id or not code or not openid or len(code) > MAX_CODE or len(openid) > MAX_OPENID:
        return False
    ours = session.scalar(select(WechatMemberCard.card_id).where(WechatMemberCard.merchant_id == merchant.id))
    return bool(ours) and ours == card_id


def holding_for(session, merchant_id, card_id, code, lock=False):
    query = select(WechatCardHolding).where(WechatCardHolding.merchant_id == merchant_id,
                                            WechatCardHolding.card_id == card_id, WechatCardHolding.code == code)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def member_of_openid(session, merchant, openid):
    return session.scalar(select(MemberIdentity.member_id).where(
        MemberIdentity.merchant_id == merchant.id, MemberIdentity.kind == "wechat_openid",
        MemberIdentity.app_id == (merchant.wechat_app_id or ""), MemberIdentity.value == openid,
        MemberIdentity.active.is_(True)))


def record(session, merchant, card_id, code, openid, state="added"):
    """The holding of this code, inserted when new (a race for the same code ends on the unique key)."""
    row = holding_for(session, merchant.id, card_id, code, lock=True)
    if row is not None:
        if row.member_id is None and row.state != "deleted":  # the user may have joined since
            row.member_id = member_of_openid(session, merchant, row.openid)
        return row, False
    row = WechatCardHolding(merchant_id=merchant.id, card_id=card_id, code=code, openid=openid, state=state,
                            member_id=member_of_openid(session, merchant, openid), updated_at=now_utc())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return holding_for(session, merchant.id, card_id, code, lock=True), False
    return row, True


def got(session, merchant, card_id, code, openid, restored=False):
    """user_get_card. The holding, or None when the event is not about this merchant's card."""
    if not _ours(session, merchant, card_id, code, openid):
        return None
    row, new = record(session, merchant, card_id, code, openid)
    if not new and row.state == "deleted" and restored and row.openid == openid:
        row.state, row.updated_at = "added", now_utc()  # activated again by us (activation.py), as a new add
        session.flush()
    return row


def deleted(session, merchant, card_id, code, openid):
    """user_del_card."""
    if not _ours(session, merchant, card_id, code, openid):
        return None
    row, _new = record(session, merchant, card_id, code, openid, state="deleted")
    if row.openid != openid:  # a code is one user's; another user cannot delete it
        return None
    if row.state != "deleted":
        row.state, row.updated_at = "deleted", now_utc()
        session.flush()
    return row


def seen(session, merchant, card_id, code, openid):
    """user_view_card, update_member_card, submit_membercard_user_info: the holding (recorded if we missed its
    user_get_card), its state untouched."""
    if not _ours(session, merchant, card_id, code, openid):
        return None
    row, _new = record(session, merchant, card_id, code, openid)
    return row if row.openid == openid else None
