"""Friend sharing: a member gives an unused coupon to another member of the same merchant, once.

The giver makes a link (random token, only its sha256 stored, 24 hours). Accepting is two conditional
updates in one transaction: the transfer row (open -> accepted, so one friend wins) and the giver's code
(available -> transferred, so a code used at the till meanwhile cannot also be given). The friend gets a
new code of the same template and window, channel 'friend', which can never be shared again.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from domain import coupons as rules
from domain.clock import now_utc, to_local
from domain.errors import Conflict, NotFound
from models import CouponCode, Member, Transfer
from services.alipay_vouchers import hooks as alipay_vouchers
from services.shared.tenancy import get_owned, scoped

LINK_HOURS = 24
OPEN, ACCEPTED, CANCELLED, EXPIRED = "open", "accepted", "cancelled", "expired"


@dataclass
class ShareView:
    transfer: Transfer
    code: CouponCode
    status: str  # open | accepted | cancelled | expired


def hash_token(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def why_not_shareable(code, now=None):
    """None when the holder may give this code to a friend; otherwise the reason."""
    now = now or now_utc()
    if not code.template.shareable:
        return "该券不支持转赠"
    if code.shared_from_id is not None or code.channel == "friend":
        return "好友赠送的券不能再次转赠"
    if code.state != rules.AVAILABLE or code.ends_at <= now:
        return "该券当前不可转赠"
    return None


def open_transfer(session, code, now=None):
    """The code's link still waiting for a friend, if any."""
    now = now or now_utc()
    return session.scalars(select(Transfer).where(
        Transfer.merchant_id == code.merchant_id, Transfer.coupon_code_id == code.id, Transfer.accepted_at.is_(None),
        Transfer.cancelled_at.is_(None), Transfer.expires_at > now).order_by(Transfer.id.desc())).first()


def create_share(session, merchant, member_id, code_id, now=None):
    """A new link for the member's code; any earlier open link of the code stops working. Returns the token."""
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id, lock=True)  # one link at a time per holder
    code = _members_code(session, merchant.id, member.id, code_id)
    reason = why_not_shareable(code, now)
    if reason:
        raise Conflict(reason)
    _cancel_open(session, code, now)
    token = secrets.token_urlsafe(24)
    session.add(Transfer(merchant_id=merchant.id, instrument_type="coupon", coupon_code_id=code.id,
                         from_member_id=member.id, token_hash=hash_token(token),
                         expires_at=now + timedelta(hours=LINK_HOURS), created_at=now))
    session.flush()
    return token


def view(session, merchant, token, now=None):
    transfer = session.scalars(scoped(Transfer, merchant.id).where(
        Transfer.token_hash == hash_token(token), Transfer.instrument_type == "coupon")).one_or_none()
    if transfer is None:
        raise NotFound("链接无效")
    code = session.get(CouponCode, transfer.coupon_code_id)
    return ShareView(transfer, code, _status(transfer, now or now_utc()))


def accept(session, merchant, token, member_id, now=None):
    """The friend takes the coupon. Exactly one acceptance wins; the giver's code becomes transferred."""
    now = now or now_utc()
    shared = view(session, merchant, token, now)
    transfer, old = shared.transfer, shared.code
    friend = get_owned(session, Member, merchant.id, member_id)
    if transfer.from_member_id == friend.id:
        raise Conflict("不能领取自己分享的券")
    won = session.execute(
        update(Transfer).where(Transfer.id == transfer.id, Transfer.accepted_at.is_(None),
                               Transfer.cancelled_at.is_(None), Transfer.expires_at > now)
        .values(accepted_at=now, accepted_by_id=friend.id).execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        session.refresh(transfer)
        raise Conflict(_closed_message(transfer, now, merchant.timezone))
    given = session.execute(
        update(CouponCode).where(CouponCode.id == old.id, CouponCode.state == rules.AVAILABLE,
                                 CouponCode.ends_at > now)
        .values(state=rules.move(rules.AVAILABLE, rules.TRANSFERRED)).execution_options(synchronize_session=False)
    ).rowcount
    if given != 1:
        raise Conflict("该券已被使用或已失效，无法领取")
    code = CouponCode(merchant_id=merchant.id, template_id=old.template_id, member_id=friend.id,
                      code=rules.new_code(), state=rules.AVAILABLE, channel="friend",
                      idempotency_key=f"friend:{transfer.id}", starts_at=old.starts_at, ends_at=old.ends_at,
                      created_at=now, shared_from_id=old.id)
    session.add(code)
    session.flush()
    alipay_vouchers.code_issued(session, merchant.id, code.template_id, code.id)  # the friend's Alipay card package
    session.execute(update(Transfer).where(Transfer.id == transfer.id).values(new_coupon_code_id=code.id)
                    .execution_options(synchronize_session=False))
    session.expire(transfer)
    session.expire(old)
    return code


def cancel(session, merchant, member_id, code_id, now=None):
    """The giver takes back every open link of their code. Returns how many were cancelled."""
    now = now or now_utc()
    code = _members_code(session, merchant.id, member_id, code_id)
    cancelled = _cancel_open(session, code, now)
    if not cancelled:
        raise Conflict("没有可取消的赠送（可能已被好友领取）")
    return cancelled


def _cancel_open(session, code, now):
    return session.execute(
        update(Transfer).where(Transfer.coupon_code_id == code.id, Transfer.merchant_id == code.merchant_id,
                               Transfer.accepted_at.is_(None), Transfer.cancelled_at.is_(None))
        .values(cancelled_at=now).execution_options(synchronize_session=False)
    ).rowcount


def _members_code(session, merchant_id, member_id, code_id):
    code = get_owned(session, CouponCode, merchant_id, code_id)
    if code.member_id != int(member_id):
        raise NotFound("券不存在")
    return code


def _status(transfer, now):
    if transfer.accepted_at is not None:
        return ACCEPTED
    if transfer.cancelled_at is not None:
        return CANCELLED
    return OPEN if transfer.expires_at > now else EXPIRED


def _closed_message(transfer, now, tz_name):
    status = _status(transfer, now)
    if status == ACCEPTED:
        return f"该券已被好友领取（{to_local(transfer.accepted_at, tz_name):%m-%d %H:%M}）"
    if status == CANCELLED:
        return "赠送已取消"
    return "链接已过期"
