"""The official account's credentials, with EncodingAESKey rotation.

`Merchant.wechat_aes_key` holds "current" or "current,previous": entering a new key keeps the old one
as "previous" so callbacks WeChat still encrypts with it keep working during the switch; the merchant
drops it once WeChat uses the new key.
"""
import re

from domain.errors import DomainError
from services.merchant import merchants
from services.wechat.crypto import aes_keys, valid_aes_key

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # WeChat's rule for the callback Token
KEPT_FIELDS = ("alipay_app_id", "alipay_public_key")  # non-secret fields update_credentials would blank


def update_account(session, actor, merchant, *, app_id, app_secret="", token="", new_aes_key="",
                   drop_previous_key=False):
    """Store the official-account credentials; blank secrets keep the stored ones."""
    app_id, token, new_aes_key = (app_id or "").strip(), (token or "").strip(), (new_aes_key or "").strip()
    if token and not TOKEN_PATTERN.match(token):
        raise DomainError("Token 须为 3-32 位英文字母或数字")
    if new_aes_key and not valid_aes_key(new_aes_key):
        raise DomainError("EncodingAESKey 须为 43 位字母和数字")
    values = {field: getattr(merchant, field) for field in KEPT_FIELDS}
    values.update(wechat_app_id=app_id, wechat_app_secret=app_secret, wechat_token=token,
                  wechat_aes_key=_rotated(merchant.wechat_aes_key, new_aes_key, drop_previous_key))
    return merchants.update_credentials(session, actor, merchant, values)


def _rotated(stored, new_key, drop_previous):
    keys = aes_keys(stored)
    if new_key and (not keys or keys[0] != new_key):
        keys = [new_key] + keys[:1]
    elif drop_previous:
        keys = keys[:1]
    return ",".join(keys)


def key_state(merchant):
    """For the settings page: is a current key set, and a previous one?"""
    keys = aes_keys(merchant.wechat_aes_key)
    return {"current": bool(keys), "previous": len(keys) > 1}
