"""Alipay clients (python-alipay-sdk, RSA2) whose gateway and auth page come from config.

`auth_url` sends a member's browser to Alipay's auth_base page; Alipay returns to `redirect_uri` with
`auth_code`, which `user_id_for_code` exchanges through `alipay.system.oauth.token` (signed request,
verified response) for the member's Alipay user_id.

What services call with the client: channels/alipay_trades.py (wap trades, refunds) and channels/alipay_barcode.py
(payment codes at the till).
"""
import base64
import logging
from urllib.error import URLError
from urllib.parse import urlencode

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from cryptography.hazmat.primitives import serialization
from flask import current_app

from channels.wechat import ChannelNotConfigured
from domain.errors import DomainError

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
