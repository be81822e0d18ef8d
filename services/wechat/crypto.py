"""Who sent this callback: WeChat's signatures (compared in constant time), freshness, and safe-mode AES.

wechatpy signs and encrypts (WeChatSigner, PrpCrypto) but compares signatures with `==`; the checks
here reuse its signing helper and compare with `hmac.compare_digest`.

A merchant's `wechat_aes_key` holds "current" or "current,previous" EncodingAESKeys, so messages
encrypted with the previous key still decrypt while WeChat switches to a new one.
"""
import base64
import hmac

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from domain.clock import now_utc
from domain.credentials import valid_aes_key  # noqa: F401 - the callback's and the settings' one rule

MAX_SKEW_SECONDS = 300


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


def check_message_mode(mode, encrypted):
    """WeChat sends what the merchant chose: plain mode never encrypts and safe mode always does, so a message of
    the other kind did not come from WeChat (a captured signed URL with the encryption stripped, say). Compatible
    mode takes both."""
    if mode == "safe" and not encrypted:
        raise CallbackRefused("plain message in safe mode")
    if mode == "plain" and encrypted:
        raise CallbackRefused("encrypted message in plain mode")


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
