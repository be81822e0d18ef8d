"""Sandbox Alipay 手机网站支付: `alipay.trade.wap.pay` opens the cashier page (the trade is created on the first
visit), where the member pays (optionally with a tampered notification, for tests of the app) or leaves; paying
returns the browser to the merchant's page and posts the asynchronous notification, RSA2-signed with the sandbox's
"Alipay" key and resent on Alipay's retry schedule (compressed: config SANDBOX_NOTIFY_DELAYS, seconds) until the
app answers "success"."""
import json
import logging
import secrets
import threading
import time
from urllib.parse import urlencode

import requests
from flask import abort, current_app, redirect, render_template, request

from extensions import db
from sandbox import alipay_keys, blueprint
from sandbox.alipay_auth import USER_COOKIE, USER_ID
from sandbox.alipay_trades import (CLOSED, OUT_TRADE_NO, PAID, TOTAL, WAIT, beijing_now, biz, expired, load_trade,
                                   new_trade_no, swap, trade_key, two_decimals)
from web import boundary

log = logging.getLogger(__name__)

TAMPERS = {"": "正常通知", "amount": "篡改金额（重新签名）", "signature": "错误签名"}
# Alipay resends after 4m, 10m, 10m, 1h, 2h, 6h, 15h; here minutes become seconds unless config says otherwise.
DEFAULT_NOTIFY_DELAYS = (0, 4, 10, 10, 60, 120, 360, 900)


def cashier_for(params):
    """alipay.trade.wap.pay: the trade is created on first visit; the browser sees the cashier."""
    content = biz(params)
    out_trade_no, total = str(content.get("out_trade_no", "")), str(content.get("total_amount", ""))
    if not (OUT_TRADE_NO.match(out_trade_no) and TOTAL.match(total) and total not in ("0", "0.0", "0.00")
            and content.get("subject")):
        abort(400, "biz_content needs out_trade_no, total_amount > 0 and subject")
    app_id = params["app_id"]
    text, trade = load_trade(app_id, out_trade_no)
    if trade is None:
        trade = {"app_id": app_id, "out_trade_no": out_trade_no, "total_amount": two_decimals(total),
                 "subject": str(content["subject"])[:256], "status": WAIT, "trade_no": new_trade_no(),
                 "notify_url": params.get("notify_url", ""), "return_url": params.get("return_url", ""),
                 "quit_url": str(content.get("quit_url") or params.get("return_url", "")),
                 "time_expire": str(content.get("time_expire", "")), "gmt_create": beijing_now()}
        alipay_keys.put(db.session, trade_key(app_id, out_trade_no),
                        json.dumps(trade, ensure_ascii=False, sort_keys=True))
        boundary.commit_now()
        text, trade = load_trade(app_id, out_trade_no)
    elif trade["total_amount"] != two_decimals(total):
        abort(400, "ACQ.TRADE_INFO_CHANGED: 交易信息被篡改")
    return render_template("sandbox/alipay_cashier.html", trade=trade, tampers=TAMPERS,
                           message=_unpayable(trade))


def _unpayable(trade):
    if trade["status"] == PAID:
        return "该交易已支付"
    if trade["status"] == CLOSED:
        return "该交易已关闭"
    if expired(trade):
        return "该交易已超时"
    return None


@blueprint.route("/alipay/cashier", methods=["POST"])
def alipay_cashier():
    """The member pays (optionally with a tampered notification) or leaves the cashier."""
    text, trade = load_trade(request.form.get("app_id", ""), request.form.get("out_trade_no", ""))
    if trade is None:
        abort(404)
    if request.form.get("action") != "pay":
        return redirect(trade["quit_url"] or trade["return_url"])
    tamper = request.form.get("tamper", "")
    if tamper not in TAMPERS:
        abort(400, "unknown tamper")
    message = _unpayable(trade)
    if message is None:
        paid = dict(trade, status=PAID, gmt_payment=beijing_now(), buyer_id=_buyer_id())
        if swap(paid, text):
            _notify(paid, tamper)
            return redirect(_with_query(trade["return_url"], _return_params(paid)))
        message = _unpayable(load_trade(trade["app_id"], trade["out_trade_no"])[1]) or "交易状态已变化"
    return render_template("sandbox/alipay_cashier.html", trade=trade, tampers=TAMPERS, message=message), 409


def _buyer_id():
    user_key = request.cookies.get(USER_COOKIE, "")
    return user_key if USER_ID.match(user_key) else f"2088{secrets.randbelow(10 ** 12):012d}"


def _with_query(url, params):
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _return_params(trade):
    """The synchronous return to the merchant's page (informative only: the notification is what counts)."""
    return alipay_keys.signed({"app_id": trade["app_id"], "auth_app_id": trade["app_id"], "charset": "utf-8",
                               "method": "alipay.trade.wap.pay.return", "out_trade_no": trade["out_trade_no"],
                               "seller_id": alipay_keys.seller_id(trade["app_id"]), "timestamp": beijing_now(),
                               "total_amount": trade["total_amount"], "trade_no": trade["trade_no"],
                               "version": "1.0"})


# --- the asynchronous notification ------------------------------------------------------------------------

def notification_fields(trade, tamper=""):
    """The asynchronous notification Alipay posts for a paid trade; `tamper` spoils it for tests of the app."""
    total = trade["total_amount"]
    if tamper == "amount":
        whole, part = total.split(".")
        total = f"{int(whole) + 1}.{part}"
    fields = alipay_keys.signed({
        "notify_time": beijing_now(), "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
        "app_id": trade["app_id"], "auth_app_id": trade["app_id"], "charset": "utf-8", "version": "1.0",
        "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "buyer_id": trade["buyer_id"],
        "seller_id": alipay_keys.seller_id(trade["app_id"]), "trade_status": trade["status"], "total_amount": total,
        "receipt_amount": total, "buyer_pay_amount": total, "invoice_amount": total, "subject": trade["subject"],
        "gmt_create": trade["gmt_create"], "gmt_payment": trade["gmt_payment"]})
    if tamper == "signature":
        fields["sign"] = fields["sign"][:-8] + ("A" * 8 if not fields["sign"].endswith("A" * 8) else "B" * 8)
    return fields


def _notify(trade, tamper):
    if not trade.get("notify_url"):
        return
    delays = tuple(current_app.config.get("SANDBOX_NOTIFY_DELAYS", DEFAULT_NOTIFY_DELAYS))
    body = urlencode(notification_fields(trade, tamper))
    threading.Thread(target=_deliver, args=(trade["notify_url"], body, delays), daemon=True,
                     name=f"alipay-notify-{trade['out_trade_no']}").start()


def _deliver(url, body, delays):
    """Post until the app answers exactly "success", on the schedule; runs outside any request."""
    for delay in delays:
        time.sleep(delay)
        try:
            answer = requests.post(url, data=body.encode(), timeout=10,
                                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        except requests.RequestException as exc:
            log.info("sandbox alipay notification to %s failed: %s", url, exc)
            continue
        if answer.status_code == 200 and answer.text.strip() == "success":
            return
    log.info("sandbox alipay notification to %s given up after %d tries", url, len(delays))
