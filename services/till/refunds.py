"""Refunding a checkout (whole or part) and what its receipt prints.

A refund first moves the checkout's refunded_amount with a conditional UPDATE, so two refunds at once can never
give back more than was paid; then each part is reversed in proportion to the money given back, computed on the
running total (so several partial refunds add up exactly to a whole one). Points already spent cannot be taken
back: what was not is written in `not_reversed`, never silently dropped. Coupons come back (if still in date)
only when the whole payment is refunded: a coupon cannot be split.
"""
from sqlalchemy import case, select, update

from domain import coupons as coupon_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.money import format_yuan
from models import CouponCode, Member, Merchant, PointsTransaction, Verification, WalletTransaction
from models.checkout import TENDER_LABELS, Checkout, CheckoutRefund
from services.alipay_vouchers import hooks as alipay_vouchers
from services.points import ledger as points
from services.recruitment import commission
from services.reports import family_sales as sales_report
from services.shared import idempotency, ledger_rows
from services.shared.tenancy import get_owned, merchant_timezone
from services.shared.text import required_text
from services.till import channel_refunds as till_channel_refunds
from services.wallet import journal as wallet


def refund(session, actor, checkout_id, amount, *, reason, key, now=None):
    """Give back `amount` fen of a checkout's payment, with its share of balance, points and (when whole) coupons."""
    if not getattr(actor, "can", None) or not actor.can("orders.refund"):
        raise PermissionDenied("只有店主或管理员可以退款")
    idempotency.check_key(key)
    reason = required_text(reason, "退款原因", 200)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("退款金额须大于 0")
    now = now or now_utc()
    checkout = get_owned(session, Checkout, actor.merchant_id, checkout_id)
    if checkout.member_id is not None:
        points.lock_member(session, actor.merchant_id, checkout.member_id)  # the payment's lock order
    earlier = idempotency.find_existing(session, CheckoutRefund, actor.merchant_id, key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, checkout_id=checkout.id, amount=amount)
    before = _claim(session, checkout, amount)
    row = ledger_rows.insert(session, CheckoutRefund, dict(
        merchant_id=actor.merchant_id, checkout_id=checkout.id, amount=amount, reason=reason, staff_id=actor.id,
        idempotency_key=key, created_at=now, coupons_restored=[], not_reversed=[])).row
    if row is None:
        raise Conflict("重复的退款请求正在处理，请稍后查看结果")
    _reverse(session, actor, checkout, row, before, before + amount, now)
    commission.reverse_for_checkout_refund(session, checkout, row, before + amount, now)
    session.flush()
    # last: a refusal from WeChat Pay / Alipay rolls back everything above; cash and card go back outside
    merchant = _merchant(session, actor.merchant_id)
    till_channel_refunds.give_back(merchant, checkout, row)
    session.flush()
    sales_report.after_refund(session, merchant, checkout, row)
    return row


def _claim(session, checkout, amount):
    """Add `amount` to the refunded total if it still fits; returns the total before. Never reads then writes."""
    after = Checkout.refunded_amount + amount
    total = session.execute(
        update(Checkout).where(Checkout.id == checkout.id, after <= Checkout.pay)
        .values(refunded_amount=after, state=case((after == Checkout.pay, "refunded"), else_="paid"))
        .returning(Checkout.refunded_amount).execution_options(synchronize_session=False)).scalar_one_or_none()
    if total is None:
        session.refresh(checkout)
        left = checkout.pay - checkout.refunded_amount
        raise Conflict(f"退款金额超过可退金额（还可退 ¥{format_yuan(left)}）", refundable=left)
    session.expire(checkout, ["refunded_amount", "state"])
    return total - amount


def _share(total, refunded_before, refunded_after, pay):
    """This refund's part of `total`, on the running total so the parts of every refund sum to `total`."""
    if pay <= 0:
        return 0
    return total * refunded_after // pay - total * refunded_before // pay


def _reverse(session, actor, checkout, row, before, after, now):
    key = f"checkout-refund:{row.id}"
    row.balance_back = _share(checkout.balance_paid, before, after, checkout.pay)
    if row.balance_back and checkout.wallet_transaction_id:
        wallet.refund_debit(session, actor.merchant_id, checkout.wallet_transaction_id, row.balance_back,
                            key=f"{key}:balance", reference=("checkout", checkout.id), operator=actor,
                            store_id=checkout.store_id, note="收银退款")
    if checkout.member_id is not None:
        _points_back(session, actor, checkout, row, before, after, now)
        _member_figures(session, actor.merchant_id, checkout.member_id, after - before)
    if after == checkout.pay:
        row.coupons_restored = _restore_coupons(session, checkout, now)


def _points_back(session, actor, checkout, row, before, after, now):
    """Points used come back; points earned (and referral shares) go, as far as they have not been spent."""
    merchant = _merchant(session, actor.merchant_id)
    key, reference = f"checkout-refund:{row.id}", ("checkout", checkout.id)
    row.points_back = _share(checkout.points_used, before, after, checkout.pay)
    if row.points_back:
        points.earn(session, merchant, checkout.member_id, row.points_back, key=f"{key}:back", kind="reverse",
                    reason="收银退款退回积分", reference=reference, operator=actor, now=now)
    taken, missing = 0, []
    for txn in _earned_by(session, checkout):
        want = _share(txn.amount, before, after, checkout.pay)
        got = _take_back(session, merchant, actor, txn, want, f"{key}:take:{txn.id}", reference, now)
        if txn.member_id == checkout.member_id:
            taken += got
        if got < want:
            who = "会员" if txn.member_id == checkout.member_id else f"推荐人（会员 {txn.member_id}）"
            missing.append(f"{who}赠送的积分已使用，{want - got} 分未能收回")
    row.points_taken_back, row.not_reversed = taken, missing


def _earned_by(session, checkout):
    return session.scalars(select(PointsTransaction).where(
        PointsTransaction.merchant_id == checkout.merchant_id, PointsTransaction.reference_type == "checkout",
        PointsTransaction.reference_id == str(checkout.id), PointsTransaction.kind.in_(("earn", "referral")))
        .order_by(PointsTransaction.id)).all()


def _take_back(session, merchant, actor, txn, want, key, reference, now):
    member = points.lock_member(session, merchant.id, txn.member_id)
    got = min(want, member.points_balance)
    if got > 0:
        points.spend(session, merchant, member.id, got, key=key, kind="reverse", reason="收银退款收回积分",
                     reference=reference, operator=actor, now=now)
    return got


def _member_figures(session, merchant_id, member_id, amount):
    member = get_owned(session, Member, merchant_id, member_id)
    member.total_spend = max(member.total_spend - amount, 0)


def _restore_coupons(session, checkout, now):
    """A wholly refunded checkout gives its coupons back if they are still in date (used -> available)."""
    restored = []
    for code_id in checkout.coupon_code_ids:
        done = session.execute(
            update(CouponCode).where(CouponCode.id == code_id, CouponCode.merchant_id == checkout.merchant_id,
                                     CouponCode.state == coupon_rules.USED, CouponCode.ends_at > now)
            .values(state=coupon_rules.AVAILABLE, used_at=None, used_by_id=None, used_store_id=None)
            .execution_options(synchronize_session=False)).rowcount
        if done == 1:
            restored.append(code_id)
            alipay_vouchers.code_changed(session, checkout.merchant_id, code_id)
            session.execute(update(Verification).where(
                Verification.merchant_id == checkout.merchant_id, Verification.coupon_code_id == code_id,
                Verification.idempotency_key == f"checkout:{checkout.id}:coupon:{code_id}")
                .values(undone_at=now).execution_options(synchronize_session=False))
    return restored


def _merchant(session, merchant_id):
    return session.get(Merchant, merchant_id)


def receipt(session, merchant_id, checkout_id):
    """Everything the receipt prints, from what was charged (the stored steps), never a re-quote."""
    checkout = get_owned(session, Checkout, merchant_id, checkout_id)
    member = checkout.member
    refunds = session.scalars(select(CheckoutRefund).where(CheckoutRefund.checkout_id == checkout.id)
                              .order_by(CheckoutRefund.id)).all()
    balance_after, points_after = _balances_after(session, checkout)
    return {
        "id": checkout.id, "created_at": checkout.created_at, "timezone": merchant_timezone(session, merchant_id),
        "store": checkout.store.name if checkout.store else "", "staff": checkout.staff.name if checkout.staff else "",
        "member": ({"id": member.id, "name": member.name, "mobile_masked": _mask(member.mobile),
                    "points_balance": member.points_balance} if member is not None else None),
        "amount": checkout.amount, "discount": checkout.discount, "pay": checkout.pay, "tender": checkout.tender,
        "tender_label": TENDER_LABELS.get(checkout.tender, checkout.tender), "balance_paid": checkout.balance_paid,
        "other_paid": checkout.pay - checkout.balance_paid, "points_used": checkout.points_used,
        "points_earned": checkout.points_earned, "steps": list(checkout.steps), "state": checkout.state,
        "refunded_amount": checkout.refunded_amount, "note": checkout.note, "rewards": list(checkout.rewards or []),
        "balance_after": balance_after, "points_after": points_after,
        "level": member.level.name if member is not None and member.level else "",
        "refunds": [{"id": r.id, "amount": r.amount, "created_at": r.created_at, "reason": r.reason,
                     "not_reversed": list(r.not_reversed), "channel_state": r.channel_state,
                     "channel_refund_id": r.channel_refund_id, "channel_note": r.channel_note} for r in refunds],
        "channel_trade_no": checkout.channel_trade_no, "out_trade_no": checkout.out_trade_no,
    }


def _balances_after(session, checkout):
    """The member's balance and points right after this checkout, from the ledger rows it wrote (None: untouched)."""
    balance = points = None
    if checkout.wallet_transaction_id is not None:
        txn = session.get(WalletTransaction, checkout.wallet_transaction_id)
        balance = txn.principal_after + txn.bonus_after
    if checkout.member_id is not None:
        points = session.scalar(
            select(PointsTransaction.balance_after)
            .where(PointsTransaction.merchant_id == checkout.merchant_id,
                   PointsTransaction.member_id == checkout.member_id,
                   PointsTransaction.reference_type == "checkout", PointsTransaction.reference_id == str(checkout.id))
            .order_by(PointsTransaction.id.desc()).limit(1))
    return balance, points


def _mask(mobile):
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else mobile
