"""Sandbox Alipay refunds: `alipay.trade.refund` (part or whole, never beyond what was paid, a repeated
out_request_no answered again), `alipay.trade.fastpay.refund.query`, and POST /sandbox/alipay/refund-failure, which
makes an app's next refund fail."""
import re

from flask import abort, request
from sqlalchemy import delete

from extensions import db
from models import SharedToken
from sandbox import alipay_keys, blueprint
from sandbox.alipay_trades import (CLOSED, PAID, TOTAL, beijing_now, biz, business_error, error, fen, load_trade,
                                   swap, yuan)
from web import boundary

FAIL_REFUND_PREFIX = "sandbox:alipay:fail_next_refund:"
DEFAULT_REFUND_FAILURE = "卖家余额不足"
_OUT_REQUEST_NO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REFUND_SWAP_TRIES = 5


@blueprint.route("/alipay/refund-failure", methods=["POST"])
def alipay_refund_failure():
    """Sandbox switch: the app's next alipay.trade.refund is refused with `message` (once)."""
    app_id = request.values.get("app_id", "")
    if alipay_keys.app_public_key(db.session, app_id) is None:
        abort(400, "unknown app_id")
    fail_next_refund(db.session, app_id, request.values.get("message", ""))
    boundary.commit_now()
    return {"app_id": app_id, "fail_next_refund": True}


def fail_next_refund(session, app_id, message=""):
    """Arm the switch (flushes): the next refund for this app answers ACQ.SELLER_BALANCE_NOT_ENOUGH."""
    alipay_keys.put(session, FAIL_REFUND_PREFIX + app_id, (message or "").strip()[:100] or DEFAULT_REFUND_FAILURE)
    session.flush()


def _take_refund_failure(app_id):
    """The armed failure message, consumed by a single DELETE so two refunds at once cannot both take it."""
    message = db.session.execute(
        delete(SharedToken).where(SharedToken.key == FAIL_REFUND_PREFIX + app_id).returning(SharedToken.value)
    ).scalar_one_or_none()
    boundary.commit_now()
    return message


def trade_refund(params):
    """alipay.trade.refund: part or whole, never beyond what was paid; a repeated out_request_no is the
    same refund (answered again with fund_change "N"). A fully refunded trade becomes TRADE_CLOSED."""
    content = biz(params)
    out_request_no = str(content.get("out_request_no") or content.get("out_trade_no") or "")
    amount_text = str(content.get("refund_amount", ""))
    if not (_OUT_REQUEST_NO.match(out_request_no) and TOTAL.match(amount_text) and fen(amount_text) > 0):
        return error("40002", "isv.invalid-parameter", "refund_amount 或 out_request_no 不合法")
    failure = _take_refund_failure(params["app_id"])
    if failure:
        return business_error("ACQ.SELLER_BALANCE_NOT_ENOUGH", failure)
    for _ in range(REFUND_SWAP_TRIES):
        answer = _try_refund(params["app_id"], str(content.get("out_trade_no", "")), out_request_no, fen(amount_text))
        if answer is not None:
            return answer
    return business_error("ACQ.SYSTEM_ERROR", "系统繁忙，请使用相同的退款请求号重试")


def _try_refund(app_id, out_trade_no, out_request_no, amount):
    """One compare-and-swap attempt; None when another request changed the trade meanwhile."""
    text, trade = load_trade(app_id, out_trade_no)
    if trade is None:
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    refunds = trade.get("refunds", {})
    if out_request_no in refunds:
        if refunds[out_request_no] != amount:
            return business_error("ACQ.DISCORDANT_REPEAT_REQUEST", "退款请求号重复但退款金额不一致")
        return _refund_answer(trade, refunds[out_request_no], fund_change="N")
    if trade["status"] != PAID:
        return business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    refunded = sum(refunds.values())
    if refunded + amount > fen(trade["total_amount"]):
        return business_error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
    refunds = dict(refunds, **{out_request_no: amount})
    changed = dict(trade, refunds=refunds)
    if refunded + amount == fen(trade["total_amount"]):
        changed["status"] = CLOSED
    if not swap(changed, text):
        return None
    return _refund_answer(changed, amount, fund_change="Y")


def refund_query(params):
    """alipay.trade.fastpay.refund.query: a refund made is listed with REFUND_SUCCESS; one never made is
    answered with the trade's numbers and no refund_amount, as Alipay does."""
    content = biz(params)
    _, trade = load_trade(params["app_id"], str(content.get("out_trade_no", "")))
    if trade is None:
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    out_request_no = str(content.get("out_request_no", ""))
    answer = {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
              "out_trade_no": trade["out_trade_no"], "out_request_no": out_request_no}
    amount = trade.get("refunds", {}).get(out_request_no)
    if amount is not None:
        answer.update(total_amount=trade["total_amount"], refund_amount=yuan(amount), refund_status="REFUND_SUCCESS",
                      gmt_refund_pay=beijing_now())
    return answer


def _refund_answer(trade, amount, *, fund_change):
    return {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": "sandbox***", "buyer_user_id": trade.get("buyer_id", ""), "fund_change": fund_change,
            "refund_fee": yuan(sum(trade.get("refunds", {}).values())), "send_back_fee": yuan(amount),
            "gmt_refund_pay": beijing_now()}
