"""Who sent this callback: WeChat's signatures (compared in constant time), freshness, and safe-mode AES.

wechatpy signs and encrypts (WeChatSigner, PrpCrypto) but compares signatures with `==`; the checks
here reuse its signing helper and compare with `hmac.compare_digest`.

A merchant's `wechat_aes_key` holds "current" or "current,previous" EncodingAESKeys, so messages
encrypted with the previous key still decrypt while WeChat switches to a new one.
"""
import base64
import binascii
import hmac
import re

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from domain.clock import now_utc

MAX_SKEW_SECONDS = 300
AES_KEY_PATTERN = re.compile(r"^[A-Za-z0-9+/]{43}$")


class CallbackRefused(Exception):
    """The request does not come from WeChat (bad signature, stale, undecryptable)."""


def sign(*parts):
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signature_matches(signature, *parts):
    return hmac.compare_digest(sign(*parts).encode(), (signature or "").encode())


def timestamp_fresh(timestamp, now=None):
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = now_utc().timestamp() if now is None else now
    return abs(now - sent) <= MAX_SKEW_SECONDS


def verify_query(token, args, now=None):
    """The `signature` over (token, timestamp, nonce) and a timestamp within 5 minutes."""
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    if not token or not signature_matches(args.get("signature"), token, timestamp, nonce):
        raise CallbackRefused("bad signature")
    if not timestamp_fresh(timestamp, now):
        raise CallbackRefused("stale timestamp")


def aes_keys(stored):
    """'current' or 'current,previous' -> the keys to try, current first."""
    return [key.strip() for key in (stored or "").split(",") if key.strip()]


def valid_aes_key(key):
    if not AES_KEY_PATTERN.match(key or ""):
        return False
    try:
        return len(base64.b64decode(key + "=")) == 32
    except binascii.Error:
        return False


def decrypt(token, keys, app_id, encrypted, msg_signature, timestamp, nonce):
    """The plain XML and the key that opened it; the msg_signature covers the ciphertext."""
    if not signature_matches(msg_signature, token, timestamp, nonce, encrypted or ""):
        raise CallbackRefused("bad msg_signature")
    for key in keys:
        try:
            return PrpCrypto(base64.b64decode(key + "=")).decrypt(encrypted, app_id), key
        except Exception:  # noqa: BLE001 - a wrong key yields garbage, whatever the error: try the next key
            continue
    raise CallbackRefused("no key decrypts the message")


def encrypt(token, key, app_id, xml, nonce, timestamp):
    """The safe-mode envelope of a reply (or of an event the sandbox sends)."""
    return WeChatCrypto(token, key, app_id).encrypt_message(xml, nonce, str(timestamp))
