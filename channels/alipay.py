"""Alipay clients (python-alipay-sdk, RSA2) whose gateway and auth page come from config.

`auth_url` sends a member's browser to Alipay's auth_base page; Alipay returns to `redirect_uri` with
`auth_code`, which `user_id_for_code` exchanges through `alipay.system.oauth.token` (signed request,
verified response) for the member's Alipay user_id.
"""
import base64
import logging
import re
from urllib.error import URLError
from urllib.parse import urlencode

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from cryptography.hazmat.primitives import serialization
from flask import current_app

from channels.wechat import ChannelNotConfigured
from channels.wechat_pay import Charge
from domain.errors import DomainError
from domain.money import format_yuan, parse_yuan

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


class AlipayAuthFailed(DomainError):
    code = "alipay_auth_failed"
    http_status = 502


def configured(merchant):
    return bool(merchant.alipay_app_id and merchant.alipay_private_key and merchant.alipay_public_key)


def client_for(merchant):
    """The merchant's Alipay client: app private key to sign, Alipay public key to verify."""
    if not configured(merchant):
        raise ChannelNotConfigured("商户尚未配置支付宝应用（AppID 与密钥）")
    client = AliPay(
        appid=merchant.alipay_app_id,
        app_private_key_string=pem(merchant.alipay_private_key, private=True),
        alipay_public_key_string=pem(merchant.alipay_public_key, private=False),
        sign_type="RSA2",
        config=AliPayConfig(timeout=TIMEOUT_SECONDS),
    )
    client._gateway = current_app.config["ALIPAY_GATEWAY"]  # the SDK has no public setting for it
    return client


def auth_url(merchant, redirect_uri, state):
    """Where to send the browser for a silent auth_base login."""
    if not merchant.alipay_app_id:
        raise ChannelNotConfigured("商户尚未配置支付宝应用（AppID 与密钥）")
    query = urlencode({"app_id": merchant.alipay_app_id, "scope": "auth_base", "redirect_uri": redirect_uri,
                       "state": state})
    return f"{current_app.config['ALIPAY_AUTH_URL']}?{query}"


def user_id_for_code(merchant, code):
    """Exchange an auth_code (usable once) for the Alipay user_id. Raises AlipayAuthFailed."""
    client = client_for(merchant)
    try:
        result = client.server_api("alipay.system.oauth.token", grant_type="authorization_code", code=code)
    except AliPayValidationError:
        log.warning("alipay oauth.token response signature invalid for app %s", merchant.alipay_app_id)
        raise AlipayAuthFailed("支付宝返回的数据验签失败，请重试") from None
    except (AliPayException, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay oauth.token failed for app %s: %s", merchant.alipay_app_id, exc)
        raise AlipayAuthFailed("支付宝授权失败，请重新打开页面") from None
    user_id = result.get("user_id") or result.get("open_id")
    if not user_id:
        log.warning("alipay oauth.token refused for app %s: %s", merchant.alipay_app_id, result)
        raise AlipayAuthFailed(result.get("sub_msg") or "支付宝授权失败，请重新打开页面")
    return user_id


def pem(key, *, private):
    """A key as PEM. The Alipay console hands out bare base64 (PKCS#1 or PKCS#8); PEM passes through."""
    key = (key or "").strip()
    if key.startswith("-----BEGIN"):
        return key
    der = base64.b64decode("".join(key.split()))
    if private:
        loaded = serialization.load_der_private_key(der, password=None)
        return loaded.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    loaded = serialization.load_der_public_key(der)
    return loaded.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# --- 当面付 by the customer's payment code (alipay.trade.pay, scene bar_code): services/till/channels.py ----------

PAYMENT_CODE = re.compile(r"^(2[5-9]|30)[0-9]{14,22}$")  # the customer's 付款码: 16-24 digits starting 25-30
BARCODE_MESSAGES = {
    "ACQ.PAYMENT_AUTH_CODE_INVALID": "付款码无效或已过期，请顾客刷新付款码后重新扫码",
    "ACQ.BUYER_BALANCE_NOT_ENOUGH": "顾客余额不足，请顾客更换付款方式",
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": "顾客银行卡余额不足，请顾客更换付款方式",
    "ACQ.TRADE_HAS_CLOSE": "该笔支付已关闭，请重新收款",
}
BARCODE_ERRORS = (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError)


def barcode_pay(merchant, *, out_trade_no, amount, auth_code, subject, client_ip=None):
    """Charge the customer's Alipay payment code once: a repeated out_trade_no is the same trade (client_ip: the
    same call as WeChat's micropay; Alipay's trade.pay takes none)."""
    try:
        result = client_for(merchant).api_alipay_trade_pay(out_trade_no, "bar_code", auth_code, subject,
                                                           total_amount=format_yuan(amount))
    except BARCODE_ERRORS as exc:
        log.warning("alipay trade.pay unclear for %s: %s", out_trade_no, exc)
        return Charge("unknown")
    code = result.get("code")
    if code == "10000":
        return _barcode_paid(result, out_trade_no)
    if code == "10003":
        return Charge("waiting")
    if code == "40004":
        return Charge("failed", message=BARCODE_MESSAGES.get(result.get("sub_code"))
                      or f"支付宝收款失败：{(result.get('sub_msg') or result.get('msg') or '未知原因')[:100]}")
    if code == "40002":
        return Charge("failed", message=f"支付宝拒绝请求：{(result.get('sub_msg') or '参数错误')[:100]}")
    return Charge("unknown")  # 20000 and anything else: ask again


def barcode_query(merchant, out_trade_no):
    try:
        result = client_for(merchant).api_alipay_trade_query(out_trade_no=out_trade_no)
    except BARCODE_ERRORS:
        return Charge("unknown")
    if result.get("code") != "10000":
        return Charge("absent") if result.get("sub_code") == "ACQ.TRADE_NOT_EXIST" else Charge("unknown")
    status = result.get("trade_status")
    if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return _barcode_paid(result, out_trade_no)
    if status == "WAIT_BUYER_PAY":
        return Charge("waiting")
    return Charge("failed", message="顾客未完成支付（交易已关闭）")


def barcode_cancel(merchant, out_trade_no):
    """撤销: an unpaid trade is closed, a paid one is given back. True once Alipay confirms."""
    try:
        result = client_for(merchant).api_alipay_trade_cancel(out_trade_no=out_trade_no)
    except BARCODE_ERRORS:
        return False
    return result.get("code") == "10000"


def _barcode_paid(result, out_trade_no):
    try:
        amount = parse_yuan(str(result.get("total_amount", "")))
    except DomainError:
        amount = None
    if result.get("out_trade_no") != out_trade_no or amount is None or not result.get("trade_no"):
        return Charge("unknown")
    return Charge("paid", trade_no=str(result["trade_no"])[:64], amount=amount)
