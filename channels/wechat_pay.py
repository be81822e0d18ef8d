"""WeChat Pay (API v2) for one merchant: wechatpy's pay client on the configured host, and the v2 signature
rules (MD5 or HMAC-SHA256, chosen per merchant) used for requests, answers, notifications and JSAPI parameters.

The same code talks to the sandbox and to api.mch.weixin.qq.com; only WECHAT_PAY_BASE differs. Refunds
(secapi/) also need the merchant's API client certificate, kept on disk under WECHAT_PAY_CERT_DIR/<mch_id>/; the
sandbox asks for none.

What services call with the client: channels/wechat_pay_trades.py (JSAPI trades, refunds) and
channels/wechat_micropay.py (payment codes at the till).
"""
import hmac
import os
from xml.parsers.expat import ExpatError

import xmltodict
from flask import current_app
from wechatpy.exceptions import InvalidSignatureException
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
