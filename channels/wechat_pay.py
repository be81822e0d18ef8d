"""WeChat Pay (API v2) for one merchant: wechatpy's pay client on the configured host, and the v2 signature
rules (MD5 or HMAC-SHA256, chosen per merchant) used for requests, answers, notifications and JSAPI parameters.

The same code talks to the sandbox and to api.mch.weixin.qq.com; only WECHAT_PAY_BASE differs. Refunds
(secapi/) also need the merchant's API client certificate, kept on disk under WECHAT_PAY_CERT_DIR/<mch_id>/; the
sandbox asks for none.
"""
import hmac
import os
import re
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

import requests
import xmltodict
from flask import current_app
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml  # noqa: F401  (re-exported)
from wechatpy.utils import random_string

from channels.wechat import ChannelNotConfigured

SIGN_TYPES = ("MD5", "HMAC-SHA256")
MAX_XML_BYTES = 16 * 1024


class MalformedXml(ValueError):
    """Not a WeChat Pay XML document (too big, not XML, a DTD, nested elements)."""


def sign(params, api_key, sign_type):
    """The v2 signature of `params` (empty values and `sign` left out, as WeChat does)."""
    fields = {k: v for k, v in params.items() if k != "sign"}
    if sign_type == "HMAC-SHA256":
        return calculate_signature_hmac(fields, api_key)
    return calculate_signature(fields, api_key)


def signature_ok(params, api_key, sign_type):
    given = params.get("sign")
    if not isinstance(given, str) or not given or not api_key:
        return False
    return hmac.compare_digest(given.encode(), sign(params, api_key, sign_type).encode())


def parse_xml(body):
    """A flat <xml> document as a dict of strings; MalformedXml otherwise. DTDs are refused outright: WeChat
    never sends one, and entity expansion is how an XML body turns into a memory bomb."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body or len(body) > MAX_XML_BYTES:
        raise MalformedXml("size")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise MalformedXml("dtd")
    try:
        document = xmltodict.parse(body, disable_entities=True)
    except (ExpatError, ValueError, xmltodict.ParsingInterrupted):
        raise MalformedXml("syntax") from None
    data = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not all(isinstance(v, str) or v is None for v in data.values()):
        raise MalformedXml("shape")
    return {k: v or "" for k, v in data.items()}


class MerchantPay(WeChatPay):
    """wechatpy's client with the merchant's sign type on every request, and every answer's signature checked
    (wechatpy does neither on its own: it signs with MD5 unless told and trusts what comes back)."""

    def __init__(self, appid, api_key, mch_id, sign_type, api_base_url, timeout=10):
        super().__init__(appid, api_key, mch_id, timeout=timeout)
        self.sign_type = sign_type
        self.API_BASE_URL = api_base_url

    def _request(self, method, url_or_endpoint, **kwargs):
        data = kwargs.get("data")
        if isinstance(data, dict) and self.sign_type == "HMAC-SHA256":
            data["sign_type"] = "HMAC-SHA256"
        return super()._request(method, url_or_endpoint, **kwargs)

    def _handle_result(self, res):
        res.encoding = "utf-8"
        try:
            data = parse_xml(res.content)
        except MalformedXml:
            raise InvalidSignatureException() from None
        # An answer carrying a business result is signed; a bare communication error (return_code FAIL) is not.
        if data.get("return_code") == "SUCCESS" and not signature_ok(data, self.api_key, self.sign_type):
            raise InvalidSignatureException()
        return super()._handle_result(res)

    def jsapi_params(self, prepay_id):
        """What WeixinJSBridge getBrandWCPayRequest takes, signed with the merchant's sign type."""
        params = self.jsapi.get_jsapi_params(prepay_id)
        if self.sign_type == "HMAC-SHA256":
            params.pop("paySign")
            params["signType"] = "HMAC-SHA256"
            params["paySign"] = calculate_signature_hmac(params, self.api_key)
        return params


def configured(merchant):
    return bool(merchant.wechat_app_id and merchant.wechat_pay_mch_id and merchant.wechat_pay_api_key)


def pay_client_for(merchant):
    if not configured(merchant):
        raise ChannelNotConfigured("商户尚未配置微信支付（公众号 AppID、商户号与 API 密钥）")
    sign_type = merchant.wechat_pay_sign_type if merchant.wechat_pay_sign_type in SIGN_TYPES else "HMAC-SHA256"
    return MerchantPay(merchant.wechat_app_id, merchant.wechat_pay_api_key, merchant.wechat_pay_mch_id, sign_type,
                       current_app.config["WECHAT_PAY_BASE"])


def uses_sandbox():
    return bool(current_app.config.get("SANDBOX_ENABLED")) and "/sandbox/" in current_app.config["WECHAT_PAY_BASE"]


def client_certificate(mch_id):
    """(cert path, key path) of the merchant's API client certificate; ChannelNotConfigured when absent."""
    root = current_app.config.get("WECHAT_PAY_CERT_DIR") or ""
    # The merchant number names a directory: digits only, so it can never point outside the certificate root.
    if not root or not (mch_id or "").isdigit():
        raise ChannelNotConfigured("未配置微信支付 API 证书目录，无法退款")
    cert, key = (os.path.join(root, mch_id, name) for name in ("apiclient_cert.pem", "apiclient_key.pem"))
    if not (os.path.isfile(cert) and os.path.isfile(key)):
        raise ChannelNotConfigured(f"商户号 {mch_id} 的微信支付 API 证书（apiclient_cert.pem、apiclient_key.pem）缺失")
    return cert, key


def refund_client_for(merchant):
    """The pay client for secapi/ calls: with the client certificate, except against the sandbox."""
    client = pay_client_for(merchant)
    if not uses_sandbox():
        client.mch_cert, client.mch_key = client_certificate(merchant.wechat_pay_mch_id)
    return client


def nonce():
    return random_string(32)


# --- 付款码支付 (micropay) at the till: services/till/channels.py ---------------------------------------------

@dataclass(frozen=True)
class Charge:
    """A channel's word on a payment-code charge: paid, waiting (the payer is entering a password), failed
    (nothing was taken; `message` tells the cashier why), unknown (no trustworthy answer: ask again) or absent
    (the channel has no such trade)."""

    state: str
    trade_no: str | None = None
    amount: int | None = None
    message: str = ""


PAYMENT_CODE = re.compile(r"^1[0-5][0-9]{16}$")  # the customer's 付款码: 18 digits starting 10-15
MICROPAY_MESSAGES = {
    "AUTHCODEEXPIRE": "付款码已过期，请顾客刷新付款码后重新扫码",
    "AUTH_CODE_INVALID": "付款码无效，请顾客刷新付款码后重新扫码",
    "AUTH_CODE_ERROR": "付款码无效，请顾客刷新付款码后重新扫码",
    "NOTENOUGH": "顾客余额不足，请顾客更换银行卡或改用其他支付方式",
    "NOTSUPORTCARD": "顾客的银行卡不支持此笔支付，请顾客换卡",
    "ORDERREVERSED": "该笔支付已撤销，请重新收款",
    "ORDERCLOSED": "该笔支付已关闭，请重新收款",
    "BUYER_MISMATCH": "顾客与上次付款的微信用户不一致，请重新收款",
}
MICROPAY_UNKNOWN = ("SYSTEMERROR", "BANKERROR")
MICROPAY_FAILED_STATES = ("REVOKED", "CLOSED", "PAYERROR", "REFUND")


def micropay(merchant, *, out_trade_no, amount, auth_code, subject, client_ip):
    """Charge the customer's WeChat payment code once: a repeated out_trade_no is the same trade."""
    try:
        answer = pay_client_for(merchant).micropay.create(body=subject, total_fee=amount, auth_code=auth_code,
                                                          client_ip=client_ip, out_trade_no=out_trade_no)
    except WeChatPayException as exc:
        if exc.errcode == "USERPAYING":
            return Charge("waiting")
        if exc.return_code != "SUCCESS":
            return Charge("failed", message=f"微信支付暂时无法收款：{exc.return_msg or '通信失败'}")
        if exc.errcode in MICROPAY_UNKNOWN:
            return Charge("unknown")
        return Charge("failed", message=MICROPAY_MESSAGES.get(exc.errcode)
                      or f"微信支付失败：{exc.errmsg or exc.errcode or '未知原因'}")
    except (InvalidSignatureException, requests.RequestException):
        return Charge("unknown")
    return _paid(answer, out_trade_no)


def micropay_query(merchant, out_trade_no):
    try:
        answer = pay_client_for(merchant).micropay.query(out_trade_no=out_trade_no)
    except WeChatPayException as exc:
        return Charge("absent") if exc.errcode == "ORDERNOTEXIST" else Charge("unknown")
    except (InvalidSignatureException, requests.RequestException):
        return Charge("unknown")
    state = answer.get("trade_state")
    if state == "SUCCESS":
        return _paid(answer, out_trade_no)
    if state in MICROPAY_FAILED_STATES:
        return Charge("failed", message=f"顾客未完成支付（{answer.get('trade_state_desc') or state}）")
    return Charge("waiting")  # USERPAYING, NOTPAY: the payer is still at it


def micropay_reverse(merchant, out_trade_no):
    """撤销: an unpaid trade is closed, a paid one is given back. True once WeChat confirms."""
    try:
        answer = refund_client_for(merchant).order.reverse(out_trade_no=out_trade_no)
    except (WeChatPayException, InvalidSignatureException, requests.RequestException, ChannelNotConfigured):
        return False
    return answer.get("result_code") == "SUCCESS"


def _paid(answer, out_trade_no):
    """A signed "paid" must still be about this trade: the signature proves who spoke, not what about."""
    fee = str(answer.get("total_fee", ""))
    if answer.get("out_trade_no") != out_trade_no or not fee.isdigit() or not answer.get("transaction_id"):
        return Charge("unknown")
    return Charge("paid", trade_no=answer["transaction_id"][:64], amount=int(fee))
