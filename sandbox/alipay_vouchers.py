"""Sandbox Alipay merchant vouchers (商家券 2.0), as the gateway's methods (sandbox/alipay_gateway.py METHODS):

- alipay.marketing.activity.ordervoucher.create: an activity from its terms (fixed or discount voucher, validity,
  display, quantity); answers activity_id.
- alipay.marketing.activity.ordervoucher.codedeposit: the merchant's own codes (voucher_codes) put into the
  activity; the sandbox puts each into the card package of `user_id` (the real platform hands uploaded codes out
  through its send channels; the sandbox has one user per deposit so the simulated phone can show them).
- alipay.marketing.activity.ordervoucher.use / .refund: a voucher used at the merchant's till, and that use taken
  back (the voucher is usable again).
- alipay.marketing.activity.ordervoucher.query / .stop: the activity's state and counts; no more deposits.

Like Alipay: amounts are yuan strings with at most two decimals; an activity of another app does not exist for
this one; a repeated out_biz_no with the same request gets the first answer again (never a second voucher or a
second use), with another request it is refused.
"""
import hashlib
import json
import re
import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from channels.alipay_trades import fen_from_text, yuan_text
from domain.clock import now_utc
from extensions import db
from models import SandboxAlipayVoucher, SandboxAlipayVoucherActivity, SandboxAlipayVoucherRequest
from sandbox.alipay_trades import biz, business_error

OUT_BIZ_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
VOUCHER_CODE = re.compile(r"^[0-9A-Za-z\-_+=|]{1,64}$")
USER_ID = re.compile(r"^2088[0-9]{12}$")
AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$")
DISCOUNT = re.compile(r"^[1-9](\.[0-9])?$")  # 8.5 = 8.5折
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CODE_MODES = ("MERCHANT_API", "MERCHANT_UPLOAD")
MAX_QUANTITY, MAX_CODES = 999999, 1000
SUCCESS = {"code": "10000", "msg": "Success"}


class Refusal(Exception):
    def __init__(self, sub_code, sub_msg):
        super().__init__(sub_msg)
        self.body = business_error(sub_code, sub_msg)


def invalid(message):
    return Refusal("INVALID_PARAMETER", message)


# --- the methods ------------------------------------------------------------------------------------------

def create(params):
    return _once(params, "create", _create)


def codedeposit(params):
    return _once(params, "codedeposit", _deposit)


def use(params):
    return _once(params, "use", _use)


def refund(params):
    return _once(params, "refund", _refund)


def stop(params):
    return _once(params, "stop", _stop)


def query(params):
    try:
        activity = _activity(params["app_id"], biz(params))
    except Refusal as refusal:
        return refusal.body
    counts = dict(db.session.execute(
        select(SandboxAlipayVoucher.status, func.count()).where(
            SandboxAlipayVoucher.activity_id == activity.activity_id).group_by(SandboxAlipayVoucher.status)).all())
    return dict(SUCCESS, activity_base_info={
        "activity_id": activity.activity_id, "activity_name": activity.activity_name,
        "activity_status": activity.status, "code_mode": activity.payload.get("code_mode")},
        voucher_deduct_info=activity.payload.get("voucher_deduct_info"),
        voucher_inventory_info={"voucher_quantity": activity.quantity,
                                "deposited_quantity": sum(counts.values()), "used_quantity": counts.get("USED", 0)})


# --- idempotency by out_biz_no -----------------------------------------------------------------------------

def _once(params, method, work):
    """The first answer to this out_biz_no again, or `work(app_id, content)`'s (kept when it succeeded)."""
    app_id, content = params["app_id"], biz(params)
    out_biz_no = str(content.get("out_biz_no") or "")
    if not OUT_BIZ_NO.match(out_biz_no):
        return invalid("out_biz_no 不能为空，最长64位，只能包含字母、数字、下划线和短横线").body
    fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    earlier = _earlier(app_id, method, out_biz_no)
    if earlier is not None:
        return _replayed(earlier, fingerprint)
    try:
        answer = work(app_id, content)
    except Refusal as refusal:
        db.session.rollback()
        return refusal.body
    try:
        with db.session.begin_nested():
            db.session.add(SandboxAlipayVoucherRequest(app_id=app_id, method=method, out_biz_no=out_biz_no,
                                                       fingerprint=fingerprint, answer=answer))
    except IntegrityError:  # the same out_biz_no answered meanwhile: that answer stands, this work is undone
        db.session.rollback()
        return _replayed(_earlier(app_id, method, out_biz_no), fingerprint)
    return answer


def _earlier(app_id, method, out_biz_no):
    return db.session.scalars(select(SandboxAlipayVoucherRequest).where(
        SandboxAlipayVoucherRequest.app_id == app_id, SandboxAlipayVoucherRequest.method == method,
        SandboxAlipayVoucherRequest.out_biz_no == out_biz_no)).one_or_none()


def _replayed(earlier, fingerprint):
    if earlier.fingerprint != fingerprint:
        return business_error("INVALID_PARAMETER", "外部业务单号 out_biz_no 重复，且请求参数与之前不一致")
    return earlier.answer


# --- create ------------------------------------------------------------------------------------------------

def _create(app_id, content):
    name = _text(content, "activity_name", 64)
    if content.get("code_mode") not in CODE_MODES:
        raise invalid("code_mode 只能是 MERCHANT_API 或 MERCHANT_UPLOAD")
    deduct = _object(content, "voucher_deduct_info")
    voucher_type = deduct.get("voucher_type")
    if voucher_type == "FIX_VOUCHER":
        _fix_terms(_object(deduct, "fix_voucher_info"))
    elif voucher_type == "DISCOUNT_VOUCHER":
        _discount_terms(_object(deduct, "discount_voucher_info"))
    else:
        raise invalid("voucher_deduct_info.voucher_type 只能是 FIX_VOUCHER 或 DISCOUNT_VOUCHER")
    _validity(_object(_object(content, "voucher_use_rule_info"), "voucher_use_time_info"))
    _text(_object(content, "voucher_display_info"), "brand_name", 20)
    quantity = content.get("voucher_quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(f"voucher_quantity 必须是 1 到 {MAX_QUANTITY} 的整数")
    activity_id = now_utc().strftime("%Y%m%d") + f"{secrets.randbelow(10 ** 16):016d}"
    db.session.add(SandboxAlipayVoucherActivity(app_id=app_id, activity_id=activity_id, activity_name=name,
                                                voucher_type=voucher_type, quantity=quantity, payload=content))
    db.session.flush()
    return dict(SUCCESS, activity_id=activity_id)


def _fix_terms(terms):
    amount = _amount(terms, "amount", required=True)
    if amount <= 0:
        raise invalid("fix_voucher_info.amount 必须大于 0")
    floor = _amount(terms, "floor_amount")
    if floor is not None and floor < amount:
        raise invalid("fix_voucher_info.floor_amount 门槛金额不能小于面额")


def _discount_terms(terms):
    if not DISCOUNT.match(str(terms.get("discount") or "")):
        raise invalid("discount_voucher_info.discount 折扣须在 1.0 到 9.9 之间，最多一位小数")
    _amount(terms, "ceiling_amount")
    _amount(terms, "floor_amount")


def _validity(time_info):
    period = time_info.get("period_type")
    if period == "ABSOLUTE":
        window = _object(time_info, "absolute_period_info")
        begin, end = _time(window, "valid_begin_time"), _time(window, "valid_end_time")
        if end <= begin:
            raise invalid("valid_end_time 必须晚于 valid_begin_time")
    elif period == "RELATIVE":
        relative = _object(time_info, "relative_period_info")
        days, waiting = relative.get("valid_days_after_receive"), relative.get("waiting_period_days", 0)
        if not isinstance(days, int) or not 1 <= days <= 360 or not isinstance(waiting, int) or waiting < 0:
            raise invalid("relative_period_info.valid_days_after_receive 须在 1 到 360 天之间")
    else:
        raise invalid("voucher_use_time_info.period_type 只能是 ABSOLUTE 或 RELATIVE")


# --- deposit, use, refund, stop ----------------------------------------------------------------------------

def _deposit(app_id, content):
    codes = content.get("voucher_codes")
    if not isinstance(codes, list) or not 1 <= len(codes) <= MAX_CODES:
        raise invalid(f"voucher_codes 须为 1 到 {MAX_CODES} 个券码的列表")
    if not all(isinstance(code, str) and VOUCHER_CODE.match(code) for code in codes) or len(set(codes)) < len(codes):
        raise invalid("券码最长64位，只能包含 0-9、a-z、A-Z、-、_、+、=、|，且不能重复")
    user_id = str(content.get("user_id") or "")
    if not USER_ID.match(user_id):
        raise invalid("user_id 须为支付宝用户号（2088 开头的16位数字）")
    activity = _activity(app_id, content, lock=True)
    if activity.status != "ACTIVE":
        raise Refusal("ACTIVITY_STATUS_ERROR", "活动已停止，不能再导入券码")
    held = db.session.scalar(select(func.count()).where(SandboxAlipayVoucher.activity_id == activity.activity_id))
    if held + len(codes) > activity.quantity:
        raise Refusal("VOUCHER_QUANTITY_NOT_ENOUGH", "券码数量超过活动的发券数量")
    taken = db.session.scalars(select(SandboxAlipayVoucher.voucher_code).where(
        SandboxAlipayVoucher.activity_id == activity.activity_id, SandboxAlipayVoucher.voucher_code.in_(codes))).all()
    if taken:
        raise Refusal("VOUCHER_CODE_DUPLICATE", f"券码已存在：{taken[0]}")
    ids = []
    for code in codes:
        voucher_id = f"{secrets.randbelow(10 ** 20):020d}"
        db.session.add(SandboxAlipayVoucher(app_id=app_id, activity_id=activity.activity_id, voucher_code=code,
                                            voucher_id=voucher_id, user_id=user_id, status="AVAILABLE"))
        ids.append(voucher_id)
    db.session.flush()
    return dict(SUCCESS, success_count=len(codes), voucher_ids=ids)


def _use(app_id, content):
    voucher = _voucher(app_id, content)
    _time(content, "biz_dt")
    if content.get("total_fee") not in (None, ""):
        _amount(content, "total_fee")
    moved = db.session.execute(update(SandboxAlipayVoucher).where(
        SandboxAlipayVoucher.id == voucher.id, SandboxAlipayVoucher.status == "AVAILABLE")
        .values(status="USED", uses=SandboxAlipayVoucher.uses + 1, used_at=now_utc())
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Refusal("VOUCHER_STATUS_ERROR", "券状态不可核销：该券已核销")
    return dict(SUCCESS, voucher_id=voucher.voucher_id)


def _refund(app_id, content):
    voucher = _voucher(app_id, content)
    _time(content, "biz_dt")
    moved = db.session.execute(update(SandboxAlipayVoucher).where(
        SandboxAlipayVoucher.id == voucher.id, SandboxAlipayVoucher.status == "USED")
        .values(status="AVAILABLE", used_at=None).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Refusal("VOUCHER_STATUS_ERROR", "券状态不可退回：该券未核销")
    return dict(SUCCESS, voucher_id=voucher.voucher_id)


def _stop(app_id, content):
    activity = _activity(app_id, content, lock=True)
    activity.status = "STOPPED"
    db.session.flush()
    return dict(SUCCESS)


# --- reading the request -----------------------------------------------------------------------------------

def _activity(app_id, content, lock=False):
    activity_id = str(content.get("activity_id") or "")
    if not activity_id:
        raise invalid("activity_id 不能为空")
    statement = select(SandboxAlipayVoucherActivity).where(SandboxAlipayVoucherActivity.activity_id == activity_id,
                                                           SandboxAlipayVoucherActivity.app_id == app_id)
    activity = db.session.scalars(statement.with_for_update() if lock else statement).one_or_none()
    if activity is None:  # another app's activity is no different from none
        raise Refusal("ACTIVITY_NOT_EXIST", "活动不存在")
    return activity


def _voucher(app_id, content):
    activity = _activity(app_id, content)
    code = str(content.get("voucher_code") or "")
    if not VOUCHER_CODE.match(code):
        raise invalid("voucher_code 不能为空")
    voucher = db.session.scalars(select(SandboxAlipayVoucher).where(
        SandboxAlipayVoucher.activity_id == activity.activity_id,
        SandboxAlipayVoucher.voucher_code == code)).one_or_none()
    if voucher is None:
        raise Refusal("VOUCHER_NOT_EXIST", "券不存在")
    return voucher


def _object(content, name):
    value = content.get(name)
    if not isinstance(value, dict):
        raise invalid(f"{name} 不能为空")
    return value


def _text(content, name, limit):
    value = content.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise invalid(f"{name} 不能为空，最长{limit}个字")
    return value


def _amount(content, name, required=False):
    """Fen from a yuan string with at most two decimals; None when absent and not required."""
    value = content.get(name)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not AMOUNT.match(value):
        raise invalid(f"{name} 须为以元为单位、最多两位小数的金额")
    return fen_from_text(value)


def _time(content, name):
    try:
        return datetime.strptime(str(content.get(name) or ""), TIME_FORMAT)
    except ValueError:
        raise invalid(f"{name} 格式须为 yyyy-MM-dd HH:mm:ss") from None


def face_value(activity):
    """What the card package shows: '¥10.00' (满 50.00 可用) or '8.5折'."""
    deduct = activity.payload.get("voucher_deduct_info", {})
    if activity.voucher_type == "FIX_VOUCHER":
        terms = deduct.get("fix_voucher_info", {})
        floor = fen_from_text(terms.get("floor_amount") or "")
        amount = yuan_text(fen_from_text(terms.get("amount")) or 0)
        return f"¥{amount}", (f"满 {yuan_text(floor)} 元可用" if floor else "无门槛")
    terms = deduct.get("discount_voucher_info", {})
    floor = fen_from_text(terms.get("floor_amount") or "")
    return f"{terms.get('discount')}折", (f"满 {yuan_text(floor)} 元可用" if floor else "无门槛")


# method -> handler(params), merged into the gateway's METHODS
METHODS = {
    "alipay.marketing.activity.ordervoucher.create": create,
    "alipay.marketing.activity.ordervoucher.codedeposit": codedeposit,
    "alipay.marketing.activity.ordervoucher.use": use,
    "alipay.marketing.activity.ordervoucher.refund": refund,
    "alipay.marketing.activity.ordervoucher.query": query,
    "alipay.marketing.activity.ordervoucher.stop": stop,
}
