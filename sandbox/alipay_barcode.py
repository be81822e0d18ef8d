"""Sandbox Alipay 当面付 by the customer's payment code: `alipay.trade.pay` (scene bar_code) and
`alipay.trade.cancel` on the sandbox gateway (sandbox/alipay_api.py verifies the request and signs the answer);
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
from sandbox.alipay_api import (CLOSED, EXTRA_METHODS, PAID, WAIT, _OUT_TRADE_NO, _TOTAL, _beijing_now, _biz,
                                _business_error, _error, _load_trade, _new_trade_no, _swap, _trade_key,
                                _two_decimals)

FAILURES = {"invalid": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码无效，请顾客刷新付款码后重新收款"),
            "notenough": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
            "expired": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码已过期，请顾客刷新付款码后重新收款")}


def trade_pay(params):
    biz = _biz(params)
    out_trade_no, total = str(biz.get("out_trade_no", "")), str(biz.get("total_amount", ""))
    if biz.get("scene") != "bar_code" or not biz.get("auth_code") or not biz.get("subject") \
            or not _OUT_TRADE_NO.match(out_trade_no) or not _TOTAL.match(total) or total in ("0", "0.0", "0.00"):
        return _error("40002", "isv.invalid-parameter", "scene、auth_code、subject、out_trade_no 或 total_amount 不合法")
    app_id = params["app_id"]
    text, trade = _load_trade(app_id, out_trade_no)
    if trade is None:
        kind = paycodes.behaviour("alipay", str(biz["auth_code"]))
        if kind in FAILURES:
            return _business_error(*FAILURES[kind])
        text, trade = _create(app_id, out_trade_no, total, biz, kind)
    if trade.get("scene") != "bar_code" or trade["total_amount"] != _two_decimals(total):
        return _business_error("ACQ.TRADE_INFO_CHANGED", "交易信息被篡改")
    return _pay_answer(advance(text, trade))


def _create(app_id, out_trade_no, total, biz, kind):
    """The trade, once: a concurrent identical request finds the first one (the token key is the primary key)."""
    at = paycodes.password_entered_at(kind)
    trade = {"app_id": app_id, "out_trade_no": out_trade_no, "total_amount": _two_decimals(total),
             "subject": str(biz["subject"])[:256], "status": PAID if kind == "success" else WAIT,
             "trade_no": _new_trade_no(), "notify_url": "", "return_url": "", "quit_url": "", "time_expire": "",
             "gmt_create": _beijing_now(), "scene": "bar_code", "auth_code": str(biz["auth_code"])[:32],
             "password_at": at.isoformat() if at else None, "buyer_id": f"2088{str(biz['auth_code'])[-12:]}",
             "gmt_payment": _beijing_now() if kind == "success" else None}
    try:
        with db.session.begin_nested():
            db.session.add(SharedToken(key=_trade_key(app_id, out_trade_no),
                                       value=json.dumps(trade, ensure_ascii=False, sort_keys=True)))
            db.session.flush()
        db.session.commit()
    except IntegrityError:
        pass
    return _load_trade(app_id, out_trade_no)


def advance(text, trade):
    """A waiting trade whose payer's password moment has come is paid now (compare-and-swap, once)."""
    moment = trade.get("password_at")
    if trade["status"] != WAIT or not moment or datetime.fromisoformat(moment) > now_utc():
        return trade
    paid = dict(trade, status=PAID, gmt_payment=_beijing_now())
    if _swap(paid, text):
        return paid
    return _load_trade(trade["app_id"], trade["out_trade_no"])[1]


def _pay_answer(trade):
    base = {"out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"],
            "total_amount": trade["total_amount"], "buyer_user_id": trade["buyer_id"], "buyer_logon_id": "pay***@sandbox"}
    if trade["status"] == PAID:
        return {"code": "10000", "msg": "Success", **base, "receipt_amount": trade["total_amount"],
                "buyer_pay_amount": trade["total_amount"], "gmt_payment": trade["gmt_payment"]}
    if trade["status"] == WAIT:
        return {"code": "10003", "msg": " order success pay inprocess", **base}
    return _business_error("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")


def trade_cancel(params):
    """An unpaid trade is closed (action close); a paid one is closed and its money goes back (action refund)."""
    text, trade = _load_trade(params["app_id"], str(_biz(params).get("out_trade_no", "")))
    if trade is None:
        return _business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    action = {WAIT: "close", PAID: "refund", CLOSED: "close"}[trade["status"]]
    if trade["status"] != CLOSED and not _swap(dict(trade, status=CLOSED, cancelled=True), text):
        return _business_error("ACQ.SYSTEM_ERROR", "系统繁忙，请重试")
    return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"], "trade_no": trade["trade_no"],
            "retry_flag": "N", "action": action}


EXTRA_METHODS.update({"alipay.trade.pay": trade_pay, "alipay.trade.cancel": trade_cancel})
