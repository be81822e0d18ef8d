"""Sandbox WeChat Pay (API v2): pay/unifiedorder, pay/orderquery and pay/closeorder under /sandbox/wechatpay/,
and a cashier page standing in for the phone's payment sheet (支付 / 取消).

Requests are checked like WeChat checks them (merchant number, then the signature with the merchant's API key
and the request's sign type). Paying sends a signed notification to the order's notify_url, again on the
SANDBOX_NOTIFY_DELAYS schedule until the app answers SUCCESS; a switch sends a forged one instead.

How an order is stored, and the request check every pay endpoint shares, are in sandbox/wechat_pay_orders.py;
payment-code orders are in sandbox/wechat_micropay.py, refunds in sandbox/wechat_pay_refunds.py.
"""
import logging
import secrets
import threading
import time
from urllib.parse import urlsplit

import requests
from flask import current_app, make_response, render_template, request
from sqlalchemy import select, update

from channels import wechat_pay as wxpay
from domain.clock import now_utc
from extensions import db
from models import SandboxGrant
from sandbox import blueprint, wechat_micropay, wechat_state as sbx
from sandbox.wechat_pay_orders import (BASE, CLOSED, PREPAY, PayError, find_prepay, known_prepay, paid_fields, pay_api,
                                       prepay_details)
from web import boundary

log = logging.getLogger(__name__)
TAMPERS = ("", "amount", "signature")


@blueprint.route(BASE + "pay/unifiedorder", methods=["POST"])
@pay_api
def wechatpay_unifiedorder(merchant, data):
    for field in ("body", "out_trade_no", "total_fee", "notify_url", "trade_type", "nonce_str"):
        if not data.get(field):
            raise PayError("PARAM_ERROR", f"缺少参数{field}")
    if data["trade_type"] != "JSAPI" or not data.get("openid"):
        raise PayError("PARAM_ERROR", "JSAPI支付必须传openid")
    if not data["total_fee"].isdigit() or int(data["total_fee"]) <= 0:
        raise PayError("PARAM_ERROR", "total_fee无效")
    existing = find_prepay(db.session, merchant.wechat_app_id, data["out_trade_no"])
    if existing is not None:
        # WeChat hands out the same prepay for a repeated identical request, and refuses a changed or paid one.
        if existing.used_at is not None:
            raise PayError("ORDERPAID", "该订单已支付")
        if existing.kind == CLOSED:
            raise PayError("ORDERCLOSED", "该订单已关闭")
        if int(prepay_details(db.session, existing.value)["total_fee"]) != int(data["total_fee"]):
            raise PayError("INVALID_REQUEST", "201 商户订单号重复")
        return {"trade_type": "JSAPI", "prepay_id": existing.value}
    prepay_id = f"wx{now_utc():%d%H%M%S}{secrets.token_hex(13)}"
    db.session.add(SandboxGrant(kind=PREPAY, value=prepay_id, app_id=merchant.wechat_app_id,
                                user_key=data["openid"], scope=data["out_trade_no"]))
    sbx.record(db.session, "wxpay_order", merchant.wechat_app_id, prepay_id, {
        "mch_id": merchant.wechat_pay_mch_id, "out_trade_no": data["out_trade_no"], "body": data["body"][:128],
        "total_fee": int(data["total_fee"]), "fee_type": data.get("fee_type") or "CNY",
        "notify_url": data["notify_url"], "sign_type": data.get("sign_type") or "MD5", "openid": data["openid"]})
    return {"trade_type": "JSAPI", "prepay_id": prepay_id}


@blueprint.route(BASE + "pay/orderquery", methods=["POST"])
@pay_api
def wechatpay_orderquery(merchant, data):
    grant = known_prepay(merchant, data)
    details = prepay_details(db.session, grant.value)
    if details.get("micropay"):  # a payment-code order (sandbox/wechat_micropay.py): it may await a password
        state = wechat_micropay.query_state(grant, details)
        paid = paid_fields(grant, details) | {"trade_type": "MICROPAY"} if state == "SUCCESS" else {}
        return {"trade_state": state, "out_trade_no": grant.scope, **paid}
    if grant.used_at is not None:
        return {"trade_state": "SUCCESS", **paid_fields(grant, details)}
    return {"trade_state": "CLOSED" if grant.kind == CLOSED else "NOTPAY", "out_trade_no": grant.scope,
            "trade_state_desc": "订单已关闭" if grant.kind == CLOSED else "订单未支付"}


@blueprint.route(BASE + "pay/closeorder", methods=["POST"])
@pay_api
def wechatpay_closeorder(merchant, data):
    grant = known_prepay(merchant, data)
    closed = db.session.execute(update(SandboxGrant).where(SandboxGrant.id == grant.id, SandboxGrant.used_at.is_(None))
                                .values(kind=CLOSED).execution_options(synchronize_session=False)).rowcount
    if closed != 1:
        raise PayError("ORDERPAID", "订单已支付，不能发起关单")
    return {}


# --- the cashier the phone shows ---------------------------------------------------------------------------

def _safe_return(url):
    """Only back into the app itself: the cashier is no open redirect."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    target = urlsplit(url or "")
    if target.scheme in ("http", "https") and target.netloc == base.netloc:
        return url
    if url and url.startswith("/") and not url.startswith("//"):
        return url
    return None


@blueprint.route(BASE + "cashier/<prepay_id>", methods=["GET", "POST"])
def wechatpay_cashier(prepay_id):
    grant = db.session.scalars(select(SandboxGrant).where(SandboxGrant.kind.in_((PREPAY, CLOSED)),
                                                          SandboxGrant.value == prepay_id[:200])).one_or_none()
    if grant is None:
        return make_response(render_template("sandbox/wechat_cashier.html", step="missing"), 404)
    details = prepay_details(db.session, grant.value)
    merchant = sbx.merchant_for_app(db.session, grant.app_id)
    return_url = _safe_return(request.values.get("return", ""))
    page = {"grant": grant, "details": details, "merchant": merchant, "return_url": return_url,
            "tampers": TAMPERS}
    if request.method == "GET":
        return render_template("sandbox/wechat_cashier.html", step="confirm", **page)
    if request.form.get("action") == "cancel":
        return render_template("sandbox/wechat_cashier.html", step="cancelled", **page)
    tamper = request.form.get("tamper", "")
    if tamper not in TAMPERS:
        tamper = ""
    if tamper:
        # A forgery: nobody paid, the app receives a notification that must change nothing.
        outcome = send_notification(merchant, grant, details, tamper=tamper)
        return render_template("sandbox/wechat_cashier.html", step="tampered", outcome=outcome,
                               tamper=tamper, **page)
    paid = db.session.execute(update(SandboxGrant).where(SandboxGrant.id == grant.id, SandboxGrant.kind == PREPAY,
                                                         SandboxGrant.used_at.is_(None))
                              .values(used_at=now_utc()).execution_options(synchronize_session=False)).rowcount
    boundary.commit_now()
    if paid != 1:
        db.session.refresh(grant)
        step = "already_paid" if grant.used_at is not None else "closed"
        return render_template("sandbox/wechat_cashier.html", step=step, **page)
    db.session.refresh(grant)
    outcome = send_notification(merchant, grant, details)
    return render_template("sandbox/wechat_cashier.html", step="paid", outcome=outcome, **page)


# --- notifications -------------------------------------------------------------------------------------------

def notification_xml(merchant, grant, details, tamper=""):
    params = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": merchant.wechat_app_id,
              "mch_id": merchant.wechat_pay_mch_id, "nonce_str": wxpay.nonce(),
              **paid_fields(grant, details)}
    if details["sign_type"] == "HMAC-SHA256":
        params["sign_type"] = "HMAC-SHA256"
    if tamper == "amount":
        # Validly signed on purpose: it stands for a leaked key, and the amount check alone must refuse it.
        params["total_fee"] = params["cash_fee"] = 1
    signature = wxpay.sign(params, merchant.wechat_pay_api_key, details["sign_type"])
    if tamper == "signature":
        signature = wxpay.sign(params, secrets.token_hex(16), details["sign_type"])
    return wxpay.dict_to_xml(params, signature)


def _post(url, body):
    """One delivery; True when the app answered return_code SUCCESS."""
    try:
        answer = requests.post(url, data=body.encode("utf-8"), timeout=10,
                               headers={"Content-Type": "text/xml; charset=utf-8"})
        return wxpay.parse_xml(answer.content).get("return_code") == "SUCCESS"
    except (requests.RequestException, wxpay.MalformedXml):
        return False


def send_notification(merchant, grant, details, tamper=""):
    """The payment notification, delivered like WeChat delivers it (see deliver)."""
    body = notification_xml(merchant, grant, details, tamper)
    sbx.record(db.session, "wxpay_notify", merchant.wechat_app_id, details["out_trade_no"],
               {"tamper": tamper, "body": body})
    boundary.commit_now()
    return deliver(details["notify_url"], body)


def deliver(url, body):
    """At once, then again after each SANDBOX_NOTIFY_DELAYS delay until accepted. The first delivery is made in
    the request (so a test sees its effect when the page returns); the retries run in a background thread."""
    delays = list(current_app.config.get("SANDBOX_NOTIFY_DELAYS") or (0,))
    time.sleep(delays[0])
    if _post(url, body):
        return "SUCCESS"
    if len(delays) > 1:
        threading.Thread(target=_retry, args=(url, body, delays[1:]), daemon=True).start()
    return "FAIL"


def _retry(url, body, delays):
    for delay in delays:
        time.sleep(delay)
        if _post(url, body):
            return
    log.info("sandbox WeChat Pay gave up notifying %s", url)
