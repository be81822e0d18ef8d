"""The shape of channel credentials, checked when they are saved (the back office, the CLI, any other path).

Each check takes the entered text and returns None when it is acceptable, else the reason in Chinese. A bad key
saved unchecked only shows up later as a failed payment or a crashed start-up, so it is refused at the door.

Alipay keys are accepted as the Alipay console hands them out and as python-alipay-sdk reads them: PEM with its
header lines, or the bare base64 body (PKCS#1 or PKCS#8 for the private key, X.509 SubjectPublicKeyInfo or
PKCS#1 for the public key).
"""
import base64
import binascii
import re

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MESSAGE_MODES = ("plain", "compatible", "safe")  # WeChat's 消息加解密方式: 明文 / 兼容 / 安全
MODES_NEEDING_AES_KEY = ("compatible", "safe")

WECHAT_APP_ID = re.compile(r"^wx[0-9a-f]{16}$")
WECHAT_APP_SECRET = re.compile(r"^[A-Za-z0-9]{32}$")
WECHAT_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # WeChat's rule for the callback Token
AES_KEY = re.compile(r"^[A-Za-z0-9+/]{43}$")
ALIPAY_APP_ID = re.compile(r"^[0-9]{16}$")
WECHAT_PAY_MCH_ID = re.compile(r"^[0-9]{8,12}$")
WECHAT_PAY_API_KEY = re.compile(r"^[A-Za-z0-9]{32}$")  # the v2 API key (API 密钥) is 32 characters


def valid_aes_key(key):
    """43 base64 characters that decode to the 32-byte AES key WeChat uses."""
    if not AES_KEY.match(key or ""):
        return False
    try:
        return len(base64.b64decode(key + "=")) == 32
    except binascii.Error:
        return False


def wechat_app_id_problem(value):
    return None if WECHAT_APP_ID.match(value) else "公众号 AppID 须为 wx 开头加 16 位十六进制字符（小写）"


def wechat_app_secret_problem(value):
    return None if WECHAT_APP_SECRET.match(value) else "AppSecret 须为 32 位英文字母或数字"


def wechat_token_problem(value):
    return None if WECHAT_TOKEN.match(value) else "Token 须为 3-32 位英文字母或数字"


def wechat_aes_key_problem(value):
    """The stored form may be "current,previous" (a key being rotated): every key must be valid."""
    keys = [key.strip() for key in value.split(",")]
    return None if all(valid_aes_key(key) for key in keys) else "EncodingAESKey 须为 43 位字母和数字"


def message_mode_problem(value):
    return None if value in MESSAGE_MODES else "请选择明文模式、兼容模式或安全模式"


def alipay_app_id_problem(value):
    return None if ALIPAY_APP_ID.match(value) else "支付宝 AppID 须为 16 位数字"


def wechat_pay_mch_id_problem(value):
    return None if WECHAT_PAY_MCH_ID.match(value) else "微信支付商户号须为 8-12 位数字"


def wechat_pay_api_key_problem(value):
    return None if WECHAT_PAY_API_KEY.match(value) else "微信支付 API 密钥须为 32 位英文字母或数字"


def alipay_private_key_problem(value):
    key = _load_key(value, private=True)
    if key is None:
        return "应用私钥无法解析：请粘贴 RSA 私钥（PEM 格式，或去掉首尾行的 base64 内容）"
    return None if isinstance(key, rsa.RSAPrivateKey) else "应用私钥须为 RSA 私钥（RSA2）"


def alipay_public_key_problem(value):
    key = _load_key(value, private=False)
    if key is None:
        return "支付宝公钥无法解析：请粘贴支付宝公钥（PEM 格式，或去掉首尾行的 base64 内容）"
    return None if isinstance(key, rsa.RSAPublicKey) else "支付宝公钥须为 RSA 公钥（RSA2）"


def _load_key(text, *, private):
    """The key object, or None when the text is no key of that kind."""
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            data = text.encode()
            if private:
                return serialization.load_pem_private_key(data, password=None)
            return serialization.load_pem_public_key(data)
        der = base64.b64decode("".join(text.split()), validate=True)
        if private:
            return serialization.load_der_private_key(der, password=None)
        try:
            return serialization.load_der_public_key(der)
        except ValueError:  # a bare PKCS#1 RSAPublicKey body, which the console also hands out
            return serialization.load_pem_public_key(_wrapped(der, "RSA PUBLIC KEY"))
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        return None


def _wrapped(der, label):
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode()


CHECKS = {
    "wechat_app_id": wechat_app_id_problem,
    "wechat_app_secret": wechat_app_secret_problem,
    "wechat_token": wechat_token_problem,
    "wechat_aes_key": wechat_aes_key_problem,
    "wechat_message_mode": message_mode_problem,
    "alipay_app_id": alipay_app_id_problem,
    "alipay_private_key": alipay_private_key_problem,
    "alipay_public_key": alipay_public_key_problem,
    "wechat_pay_mch_id": wechat_pay_mch_id_problem,
    "wechat_pay_api_key": wechat_pay_api_key_problem,
}


def problem(field, value):
    """The reason `value` cannot be stored as `field`, or None (a blank value is a choice to clear or keep)."""
    value = (value or "").strip()
    check = CHECKS.get(field)
    return check(value) if value and check else None


def problems(values):
    """{field: reason} for every value in `values` that cannot be stored."""
    found = {field: problem(field, value) for field, value in values.items()}
    return {field: reason for field, reason in found.items() if reason}


def mode_problem(mode, aes_keys):
    """Compatible and safe mode decrypt what WeChat sends: they need an EncodingAESKey."""
    if mode in MODES_NEEDING_AES_KEY and not aes_keys:
        return "兼容模式和安全模式需要先填写 EncodingAESKey；没有密钥请选择明文模式"
    return None
