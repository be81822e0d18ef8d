"""A coupon template as an Alipay merchant voucher activity (ordervoucher.create): a cash coupon (代金券) becomes a
FIX_VOUCHER with its amount and threshold, a discount coupon (折扣券) a DISCOUNT_VOUCHER with its rate, cap and
threshold; the validity (fixed dates or N days after receiving) and the title go with it. Gift, groupon and ticket
coupons are refused: Alipay's merchant voucher takes money off a bill and cannot say "exchanged for an item".

The activity row is kept (one per template) with its out_biz_no, so a repeated sync after a lost answer gets the same
activity from Alipay; a refusal is kept in Alipay's words and the next sync tries again."""
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from channels.alipay_trades import yuan_text
from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import Conflict
from models import AlipayVoucherActivity, AlipayVoucherDeposit, CouponTemplate
from services.alipay_vouchers import hooks
from services.alipay_vouchers.calls import AlipayRefused, call
from services.coupons import templates as coupon_templates
from services.shared.insert_once import insert_once
from services.shared.tenancy import get_owned

BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay's times are Beijing time
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_QUANTITY = 999999  # Alipay's largest voucher quantity
EXPRESSIBLE = {"cash": "FIX_VOUCHER", "discount": "DISCOUNT_VOUCHER"}


def activity_of(session, merchant_id, template_id):
    return session.scalars(select(AlipayVoucherActivity).where(AlipayVoucherActivity.merchant_id == merchant_id,
                                                               AlipayVoucherActivity.template_id == template_id)
                           ).one_or_none()


def sync(session, merchant, template_id):
    """Create the template's activity in Alipay (once). Returns the activity row: state 'active' with Alipay's
    activity_id, or 'failed' with `sync_error`. Refuses (Conflict) a template Alipay cannot express."""
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    biz = terms(template, merchant)  # refuses before anything is written
    insert_once(session, AlipayVoucherActivity,
                dict(merchant_id=merchant.id, template_id=template.id, state="pending", created_at=now_utc(),
                     out_biz_no=f"A{template.id}_{secrets.token_hex(8)}"), ("merchant_id", "template_id"))
    activity = session.scalars(select(AlipayVoucherActivity).where(
        AlipayVoucherActivity.merchant_id == merchant.id, AlipayVoucherActivity.template_id == template.id)
        .with_for_update().execution_options(populate_existing=True)).one()
    if activity.state == "active":
        return activity
    if activity.state == "stopped":
        raise Conflict("该券在支付宝的商家券活动已停止，不能再次同步")
    try:
        answer = call(merchant, "create", dict(biz, out_biz_no=activity.out_biz_no))
    except AlipayRefused as refused:
        activity.state, activity.sync_error = "failed", refused.message[:300]
        session.flush()
        return activity
    activity.activity_id, activity.state = answer["activity_id"], "active"
    activity.sync_error, activity.synced_at = None, now_utc()
    session.flush()
    hooks.codes_issued(session, merchant.id, template.id)  # the codes members already hold follow, by a job
    return activity


def stop(session, merchant, template_id):
    """Stop the template's activity in Alipay (ordervoucher.stop): no more codes go into card packages; those
    already there still follow their uses. Refuses (Conflict) when Alipay does not hold it or refuses."""
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    activity = session.scalars(select(AlipayVoucherActivity).where(
        AlipayVoucherActivity.merchant_id == merchant.id, AlipayVoucherActivity.template_id == template.id)
        .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if activity is None or activity.state != "active":
        raise Conflict("该券尚未同步到支付宝")
    try:
        call(merchant, "stop", {"activity_id": activity.activity_id, "out_biz_no": f"{activity.out_biz_no}S"})
    except AlipayRefused as refused:
        raise Conflict(refused.message) from None
    activity.state = "stopped"
    session.flush()
    return activity


def terms(template, merchant):
    """The biz_content of ordervoucher.create for the template (without out_biz_no)."""
    voucher_type = EXPRESSIBLE.get(template.kind)
    if voucher_type is None:
        label = rules.KIND_LABELS.get(template.kind, template.kind)
        raise Conflict(f"支付宝商家券只支持代金券和折扣券，{label}不能同步到支付宝")
    if not template.active:
        raise Conflict("该券已停止发放，不能同步到支付宝")
    remaining = MAX_QUANTITY if template.stock_total is None else template.stock_total - template.stock_issued
    if remaining <= 0:
        raise Conflict("该券已领完，不能同步到支付宝")
    return {
        "activity_name": template.title[:64],
        "code_mode": "MERCHANT_API",  # our own codes, given to members by us
        "voucher_send_mode_info": {"voucher_send_mode": "REAL_TIME"},
        "voucher_deduct_info": _deduct(template, voucher_type),
        "voucher_use_rule_info": {"voucher_use_time_info": _validity(template, merchant)},
        "voucher_display_info": {"brand_name": merchant.name[:20], "voucher_name": template.title[:40],
                                 "voucher_description": (template.notes or template.title)[:500]},
        "voucher_quantity": min(remaining, MAX_QUANTITY),
    }


def _deduct(template, voucher_type):
    if voucher_type == "FIX_VOUCHER":
        info = {"amount": yuan_text(template.amount_off)}
        if template.min_spend:
            if template.min_spend < template.amount_off:
                raise Conflict("使用门槛低于券面额，支付宝不接受这样的代金券")
            info["floor_amount"] = yuan_text(template.min_spend)
        return {"voucher_type": voucher_type, "fix_voucher_info": info}
    if template.discount_percent < 10:
        raise Conflict("支付宝折扣券的折扣须在 1 折到 9.9 折之间")
    info = {"discount": _discount_text(template.discount_percent)}
    if template.discount_cap:
        info["ceiling_amount"] = yuan_text(template.discount_cap)
    if template.min_spend:
        info["floor_amount"] = yuan_text(template.min_spend)
    return {"voucher_type": voucher_type, "discount_voucher_info": info}


def _discount_text(percent):
    """85 (8.5折) -> '8.5'; 80 -> '8'."""
    whole, tenth = divmod(percent, 10)
    return f"{whole}.{tenth}" if tenth else f"{whole}"


def _validity(template, merchant):
    validity = coupon_templates.validity(template)
    if validity.mode == "fixed":
        starts, ends = rules.window(validity, now_utc(), merchant.timezone)
        return {"period_type": "ABSOLUTE", "absolute_period_info": {
            "valid_begin_time": _beijing(starts), "valid_end_time": _beijing(ends - timedelta(seconds=1))}}
    if not validity.days or not 1 <= validity.days <= 360:
        raise Conflict("支付宝商家券的有效天数须在 1 到 360 天之间")
    return {"period_type": "RELATIVE", "relative_period_info": {
        "waiting_period_days": validity.after_days, "valid_days_after_receive": validity.days}}


def _beijing(moment):
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def overview(session, merchant_id, template_id):
    """What the coupon's page shows: whether Alipay can take the template, its activity (or None), and how many of
    its codes are in members' Alipay card packages, used there, or waiting with Alipay's last refusal."""
    activity = activity_of(session, merchant_id, template_id)
    counts = dict(session.execute(
        select(AlipayVoucherDeposit.state, func.count()).where(
            AlipayVoucherDeposit.merchant_id == merchant_id, AlipayVoucherDeposit.template_id == template_id)
        .group_by(AlipayVoucherDeposit.state)).all()) if activity is not None else {}
    last_error = session.scalar(select(AlipayVoucherDeposit.last_error).where(
        AlipayVoucherDeposit.merchant_id == merchant_id, AlipayVoucherDeposit.template_id == template_id,
        AlipayVoucherDeposit.last_error.is_not(None)).order_by(AlipayVoucherDeposit.updated_at.desc()).limit(1)) \
        if activity is not None else None
    return {"activity": activity, "in_package": sum(counts.get(s, 0) for s in ("deposited", "used", "refunded")),
            "used": counts.get("used", 0), "waiting": counts.get("pending", 0), "last_error": last_error}
