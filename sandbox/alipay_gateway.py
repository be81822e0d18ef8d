"""Sandbox Alipay gateway (/sandbox/alipay/gateway.do): checks the app id and the request's RSA2 signature as the
open platform does, answers each method with a body signed by the sandbox's "Alipay" key, and sends
`alipay.trade.wap.pay` to the cashier page. The methods: `alipay.system.oauth.token` (sandbox/alipay_auth.py),
`alipay.trade.query` and `alipay.trade.close` (here), `alipay.trade.refund` and
`alipay.trade.fastpay.refund.query` (sandbox/alipay_refunds.py), `alipay.trade.pay` and `alipay.trade.cancel` by
the customer's payment code (sandbox/alipay_barcode.py), the member card's alipay.marketing.card.*
(sandbox/alipay_cards.py).
"""
import json
from base64 import b64encode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import make_response, request

from extensions import db
from sandbox import (alipay_auth, alipay_barcode, alipay_cards, alipay_cashier, alipay_images, alipay_keys,
                     alipay_refunds, blueprint)
from sandbox.alipay_life import METHODS as LIFE_ACCOUNT_METHODS
from sandbox.alipay_vouchers import METHODS as VOUCHER_METHODS
from sandbox.alipay_trades import CLOSED, PAID, WAIT, biz, business_error, error, load_trade, swap
from web import boundary


@blueprint.route("/alipay/gateway.do", methods=["GET", "POST"])
def alipay_gateway():
    params = {k: v for k, v in request.values.items()}
    method = params.get("method", "")
    response_key = method.replace(".", "_") + "_response" if method else "error_response"
    app_key = alipay_keys.app_public_key(db.session, params.get("app_id"))
    if app_key is None:
        return _answer(response_key, error("40002", "isv.invalid-app-id", "无效的AppID参数"))
    if params.get("sign_type") != "RSA2" or not alipay_keys.signed_by(app_key, params):
        return _answer(response_key, error("40002", "isv.invalid-signature", "验签出错"))
    if method == "alipay.trade.wap.pay":  # a page for the member's browser, not a signed answer
        return alipay_cashier.cashier_for(params)
    handler = METHODS.get(method)
    if handler is None:
        return _answer(response_key, error("40004", "isv.invalid-method", "沙箱不支持该接口"))
    return _answer(response_key, handler(params))


def _answer(response_key, body):
    """{"<method>_response": {...}, "sign": "..."} signed over the exact inner JSON text."""
    inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    key = alipay_keys.load_private(alipay_keys.sandbox_private_pem(db.session))
    boundary.commit_now()
    signature = b64encode(key.sign(inner.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    response = make_response(f'{{"{response_key}":{inner},"sign":"{signature}"}}')
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response


def trade_query(params):
    text, trade = load_trade(params["app_id"], str(biz(params).get("out_trade_no", "")))
    if trade is not None and trade.get("scene") == "bar_code":  # a payer may have entered the password by now
        trade = alipay_barcode.advance(text, trade)
    if trade is None:
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    answer = {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
              "trade_no": trade["trade_no"], "trade_status": trade["status"], "total_amount": trade["total_amount"]}
    if trade["status"] == PAID:
        answer.update(buyer_user_id=trade["buyer_id"], buyer_pay_amount=trade["total_amount"],
                      send_pay_date=trade["gmt_payment"])
    return answer


def trade_close(params):
    text, trade = load_trade(params["app_id"], str(biz(params).get("out_trade_no", "")))
    if trade is None:
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    if trade["status"] == WAIT and swap(dict(trade, status=CLOSED), text):
        return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"]}
    if trade["status"] == CLOSED:
        return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"]}
    return business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")


# method -> handler(params) -> the body of the signed answer
METHODS = {
    "alipay.system.oauth.token": alipay_auth.oauth_token,
    "alipay.trade.query": trade_query,
    "alipay.trade.close": trade_close,
    "alipay.trade.refund": alipay_refunds.trade_refund,
    "alipay.trade.fastpay.refund.query": alipay_refunds.refund_query,
    "alipay.trade.pay": alipay_barcode.trade_pay,
    "alipay.trade.cancel": alipay_barcode.trade_cancel,
    **alipay_cards.METHODS,  # alipay.marketing.card.*: the member card in the card package
    alipay_images.METHOD: alipay_images.image_upload,  # the card's pictures (multipart)
    **LIFE_ACCOUNT_METHODS,  # alipay.open.public.*: the life account's messages (sandbox/alipay_life.py)
    **VOUCHER_METHODS,  # alipay.marketing.activity.ordervoucher.*: merchant vouchers (sandbox/alipay_vouchers.py)
}
