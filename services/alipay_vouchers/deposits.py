"""A coupon code in its member's Alipay card package, and Alipay following what happens to it at our till.

deposit_code: the member's Alipay user id (their alipay_user_id identity) and the template's active activity, then
one deposit row per code (unique per code, its out_biz_no made once and kept), then codedeposit with that
out_biz_no: a second run, or a retry after a lost answer, deposits nothing new. follow_code: when the code is used
here and Alipay has it unused, ordervoucher.use; when the use was undone here and Alipay has it used,
ordervoucher.refund. Each call's out_biz_no is the deposit's with the use's number (`U<n>`, `R<n>`), counted only
when Alipay accepted, so a retry repeats its own number. The deposit row is locked during a call: two jobs for one
code take turns.
"""
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from domain import coupons as rules
from domain.clock import now_utc
from channels.alipay_trades import yuan_text
from models import (AlipayVoucherActivity, AlipayVoucherDeposit, CouponCode, Member, MemberIdentity, Merchant,
                    Verification)
from services.alipay_vouchers.calls import call
from services.shared.insert_once import insert_once

BEIJING = ZoneInfo("Asia/Shanghai")
ALIPAY_KIND = "alipay_user_id"
SWEEP = 200  # codes looked at per statement when a whole template's codes are deposited


def prepare(session, merchant_id, code_id):
    """The code's deposit row (made once, pending); None with why not: 'no_code', 'no_activity', 'no_alipay'.
    The job commits it before calling Alipay, so a refusal has a row to be written on."""
    code = _code(session, merchant_id, code_id)
    if code is None or code.member_id is None:
        return None, "no_code"
    if _active_activity(session, merchant_id, code.template_id) is None:
        return None, "no_activity"
    user_id = alipay_user_id(session, merchant_id, code.member_id)
    if user_id is None:
        return None, "no_alipay"
    insert_once(session, AlipayVoucherDeposit,
                dict(merchant_id=merchant_id, template_id=code.template_id, code_id=code.id, alipay_user_id=user_id,
                     out_biz_no=f"D{code.id}_{secrets.token_hex(6)}", state="pending", uses=0, created_at=now_utc()),
                ("merchant_id", "code_id"))
    return code, None


def deposit_code(session, merchant_id, code_id):
    """Deposit one code; returns the deposit's state, or why nothing was done ('no_alipay' ...). Raises
    AlipayRefused (the caller keeps the words on the row and retries)."""
    merchant = session.get(Merchant, merchant_id)
    code, why_not = prepare(session, merchant_id, code_id)
    if merchant is None or code is None:
        return why_not or "no_code"
    activity = _active_activity(session, merchant_id, code.template_id)
    deposit = _locked(session, merchant_id, code.id)
    if deposit.state == "pending":
        _call(session, deposit, merchant, "codedeposit", {
            "activity_id": activity.activity_id, "out_biz_no": deposit.out_biz_no,
            "voucher_codes": [code.code], "user_id": deposit.alipay_user_id})
        deposit.state = "deposited"
        session.flush()
    return _follow(session, merchant, deposit, code, activity)


def follow_code(session, merchant_id, code_id):
    """Alipay catches up with the code's state here (used, or usable again). Raises AlipayRefused like deposit."""
    merchant = session.get(Merchant, merchant_id)
    deposit = _locked(session, merchant_id, code_id)
    if merchant is None or deposit is None:
        return "not_deposited"
    if deposit.state == "pending":
        return "pending"  # the deposit job follows the code once it has deposited it
    code = _code(session, merchant_id, code_id)
    activity = _active_activity(session, merchant_id, deposit.template_id, any_state=True)
    return _follow(session, merchant, deposit, code, activity)


def codes_to_deposit(session, merchant_id, template_id, after_id=0, limit=SWEEP, since=None):
    """Ids of the template's codes, after `after_id` (and given since `since`), held by members with an Alipay
    identity and not deposited yet (a deposit Alipay refused stays pending and is tried again)."""
    deposited = select(AlipayVoucherDeposit.id).where(AlipayVoucherDeposit.merchant_id == merchant_id,
                                                      AlipayVoucherDeposit.code_id == CouponCode.id,
                                                      AlipayVoucherDeposit.state != "pending").exists()
    with_alipay = select(MemberIdentity.id).where(
        MemberIdentity.merchant_id == merchant_id, MemberIdentity.member_id == CouponCode.member_id,
        MemberIdentity.kind == ALIPAY_KIND, MemberIdentity.active.is_(True)).exists()
    recent = () if since is None else (CouponCode.created_at >= since,)
    return list(session.scalars(select(CouponCode.id).where(
        CouponCode.merchant_id == merchant_id, CouponCode.template_id == template_id, CouponCode.id > after_id,
        *recent, ~deposited, with_alipay).order_by(CouponCode.id).limit(limit)))


def out_of_step(session, limit=SWEEP):
    """(merchant_id, code_id) of deposits Alipay has not caught up with, every merchant: not deposited yet, used
    here and not there, or usable here and used there (a job's retries ran out, say)."""
    used_here = CouponCode.state == rules.USED
    return session.execute(select(AlipayVoucherDeposit.merchant_id, AlipayVoucherDeposit.code_id)
                           .join(CouponCode, CouponCode.id == AlipayVoucherDeposit.code_id)
                           .where(or_(AlipayVoucherDeposit.state == "pending",
                                      and_(used_here, AlipayVoucherDeposit.state.in_(("deposited", "refunded"))),
                                      and_(~used_here, AlipayVoucherDeposit.state == "used")))
                           .order_by(AlipayVoucherDeposit.id).limit(limit)).all()


def synced_everywhere(session):
    """(merchant_id, template_id) of every activity Alipay holds and still sends."""
    return session.execute(select(AlipayVoucherActivity.merchant_id, AlipayVoucherActivity.template_id)
                           .where(AlipayVoucherActivity.state == "active")
                           .order_by(AlipayVoucherActivity.id)).all()


def alipay_user_id(session, merchant_id, member_id):
    return session.scalar(select(MemberIdentity.value).join(Member, Member.id == MemberIdentity.member_id).where(
        MemberIdentity.merchant_id == merchant_id, MemberIdentity.member_id == member_id,
        MemberIdentity.kind == ALIPAY_KIND, MemberIdentity.active.is_(True))
        .order_by(MemberIdentity.id.desc()).limit(1))


def keep_error(session, merchant_id, code_id, message):
    """After a rollback: Alipay's words on the deposit row, for the back office and the next try."""
    deposit = _locked(session, merchant_id, code_id)
    if deposit is not None:
        deposit.last_error, deposit.updated_at = message[:300], now_utc()
        session.flush()


def _follow(session, merchant, deposit, code, activity):
    used_here = code is not None and code.state == rules.USED
    if used_here and deposit.state in ("deposited", "refunded"):
        _call(session, deposit, merchant, "use", {
            "activity_id": activity.activity_id, "voucher_code": code.code,
            "out_biz_no": f"{deposit.out_biz_no}U{deposit.uses + 1}", "biz_dt": _beijing(code.used_at),
            **_total_fee(session, code)})
        deposit.state, deposit.uses = "used", deposit.uses + 1
    elif not used_here and deposit.state == "used":
        _call(session, deposit, merchant, "refund", {
            "activity_id": activity.activity_id, "voucher_code": code.code,
            "out_biz_no": f"{deposit.out_biz_no}R{deposit.uses}", "biz_dt": _beijing(now_utc())})
        deposit.state = "refunded"
    session.flush()
    return deposit.state


def _call(session, deposit, merchant, method, biz):
    call(merchant, method, biz)  # AlipayRefused goes up: the job keeps the words and retries
    deposit.last_error, deposit.updated_at = None, now_utc()


def _total_fee(session, code):
    """The bill the coupon was used on, from its verification (the money received), when there is one."""
    received = session.scalar(select(Verification.amount_received).where(
        Verification.merchant_id == code.merchant_id, Verification.coupon_code_id == code.id,
        Verification.undone_at.is_(None)).order_by(Verification.id.desc()).limit(1))
    return {"total_fee": yuan_text(received)} if received else {}


def _code(session, merchant_id, code_id):
    return session.scalars(select(CouponCode).where(CouponCode.merchant_id == merchant_id, CouponCode.id == code_id)
                           .execution_options(populate_existing=True)).one_or_none()


def _active_activity(session, merchant_id, template_id, any_state=False):
    statement = select(AlipayVoucherActivity).where(AlipayVoucherActivity.merchant_id == merchant_id,
                                                    AlipayVoucherActivity.template_id == template_id,
                                                    AlipayVoucherActivity.activity_id.is_not(None))
    if not any_state:
        statement = statement.where(AlipayVoucherActivity.state == "active")
    return session.scalars(statement).one_or_none()


def _locked(session, merchant_id, code_id):
    return session.scalars(select(AlipayVoucherDeposit).where(
        AlipayVoucherDeposit.merchant_id == merchant_id, AlipayVoucherDeposit.code_id == code_id)
        .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _beijing(moment):
    return (moment or now_utc()).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
