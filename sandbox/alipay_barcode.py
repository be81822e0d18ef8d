"""Sandbox Alipay 当面付 by the customer's payment code: `alipay.trade.pay` (scene bar_code) and
`alipay.trade.cancel` on the sandbox gateway (sandbox/alipay_gateway.py verifies the request and signs the answer);
`alipay.trade.query` there asks `advance` here, so a payer who had to enter a password pays when the time comes.

What a payment code does is in sandbox/paycodes.py. A trade is kept like the wap ones (JSON in shared_tokens,
moved by compare-and-swap), so the sandbox's refunds serve it unchanged. A repeated trade.pay with the same
out_trade_no is answered from the stored trade and never charges twice.
"""
import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import SharedToken
from sandbox import paycodes
from sandbox.alipay_trades import (CLOSED, OUT_TRADE_NO, PAID, TOTAL, WAIT, beijing_now, biz, business_error, error,
                                   load_trade, new_trade_no, swap, trade_key, two_decimals)
from web import boundary

FAILURES = {"invalid": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码无效，请顾客刷新付款码后重新收款"),
            "notenough": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
            "expired": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码已过期，请顾客刷新付款码后重新收款")}


def trade_pay(params):
    content = biz(params)
    out_trade_no, total = str(content.get("out_trade_no", "")), str(content.get("total_amount", ""))
    if content.get("scene") != "bar_code" or not content.get("auth_code") or not content.get("subject") \
            or not OUT_TRADE_NO.match(out_trade_no) or not TOTAL.match(total) or total in ("0", "0.0", "0.00"):
        return error("40002", "isv.invalid-parameter", "scene、auth_code、subject、out_trade_no 或 total_amount 不合法")
    app_id = params["app_id"]
    text, trade = load_trade(app_id, out_trade_no)
    if trade is None:
        kind = paycodes.behaviour("alipay", str(content["auth_code"]))
        if kind in FAILURES:
            return business_error(*FAILURES[kind])
        text, trade = _create(app_id, out_trade_no, total, content, kind)
    if trade.get("scene") != "bar_code" or trade["total_amount"] != two_decimals(total):
        return business_error("ACQ.TRADE_INFO_CHANGED", "交易信息被篡改")
    return _pay_answer(advance(text, trade))


def _create(app_id, out_trade_no, total, content, kind):
    """The trade, once: a concurrent identical request finds the first one (the token key is the primary key)."""
    at = paycodes.password_entered_at(kind)
    trade = {"app_id": app_id, "out_trade_no": out_trade_no, "total_amount": two_decimals(total),
             "subject": str(content["subject"])[:256], "status": PAID if kind == "success" else WAIT,
             "trade_no": new_trade_no(), "notify_url": "", "return_url": "", "quit_url": "", "time_expire": "",
             "gmt_create": beijing_now(), "scene": "bar_code", "auth_code": str(content["auth_code"])[:32],
             "password_at": at.isoformat() if at else None, "buyer_id": f"2088{str(content['auth_code'])[-12:]}",
             "gmt_payment": beijing_now() if kind == "success" else None}
    try:
        with db.session.begin_nested():
            db.session.add(SharedToken(key=trade_key(app_id, out_trade_no),
                                       value=json.dumps(trade, ensure_ascii=False, sort_keys=True)))
            db.session.flush()
        boundary.commit_now()
    except IntegrityError:
        pass
    return load_trade(app_id, out_trade_no)


def advance(text, trade):
    """A waiting trade whose payer's password moment has come is paid now (compare-and-swap, once)."""
    moment = trade.get("password_at")
    if trade["status"] != WAIT or not moment or datetime.fromisoformat(moment) > now_utc():
        return trade
    paid = dict(trade, status=PAID, gmt_payment=beijing_now())
    if swap(paid, text):
        return paid
    return load_trade(trade["app_id"], trade["out_trade_no"])[1]


def _pay_answer(trade):
    base = {"out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"],
            "total_amount": trade["total_amount"], "buyer_user_id": trade["buyer_id"], "buyer_logon_id": "pay***@sandbox"}
    if trade["status"] == PAID:
        return {"code": "10000", "msg": "Success", **base, "receipt_amount": trade["total_amount"],
                "buyer_pay_amount": trade["total_amount"], "gmt_payment": trade["gmt_payment"]}
    if trade["status"] == WAIT:
        return {"code": "10003", "msg": " order success pay inprocess", **base}
    return business_error("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")


def trade_cancel(params):
    """An unpaid trade is closed (action close); a paid one is closed and its money goes back (action refund)."""
    text, trade = load_trade(params["app_id"], str(biz(params).get("out_trade_no", "")))
    if trade is None:
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    action = {WAIT: "close", PAID: "refund", CLOSED: "close"}[trade["status"]]
    if trade["status"] != CLOSED and not swap(dict(trade, status=CLOSED, cancelled=True), text):
        return business_error("ACQ.SYSTEM_ERROR", "系统繁忙，请重试")
    return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"],
            "retry_flag": "N", "action": action}
