"""The official account's credentials, with EncodingAESKey rotation.

`Merchant.wechat_aes_key` holds "current" or "current,previous": entering a new key keeps the old one
as "previous" so callbacks WeChat still encrypts with it keep working during the switch; the merchant
drops it once WeChat uses the new key.
"""
from domain import credentials as credential_rules
from domain.errors import DomainError
from services.merchant import merchants
from services.wechat.crypto import aes_keys


def update_account(session, actor, merchant, *, app_id, app_secret="", token="", new_aes_key="",
                   drop_previous_key=False, message_mode=None):
    """Store the official-account credentials and message mode; blank secrets (and no mode) keep the stored ones.

    Each value is checked for its shape (domain.credentials) and compatible and safe mode need an EncodingAESKey;
    a refusal names the fields (`fields`) and stores nothing.
    """
    new_aes_key = (new_aes_key or "").strip()
    # Only the official account's fields: update_credentials leaves every field it is not given alone.
    values = dict(wechat_app_id=app_id, wechat_app_secret=app_secret, wechat_token=token,
                  wechat_message_mode=message_mode or "")
    problem = credential_rules.problem("wechat_aes_key", new_aes_key)
    if problem:  # checked here, before the rotation mixes it with the stored key
        raise DomainError(problem, fields={"new_aes_key": problem})
    values["wechat_aes_key"] = _rotated(merchant.wechat_aes_key, new_aes_key, drop_previous_key)
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
