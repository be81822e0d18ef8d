"""The official account's follow QR code with a scene (WeChat's qrcode/create, 带参数二维码): a customer who scans
it follows the account, and the follow arrives with the scene (the fan's qr_scene), so it is known who showed it.

Temporary codes only (valid up to 30 days): WeChat caps permanent ones at 100,000 per account, and a code shown
on a staff member's phone after an assisted join is scanned within minutes.
"""
import logging
from dataclasses import dataclass

import requests
from wechatpy.exceptions import WeChatClientException

from channels.wechat import ChannelNotConfigured, client_for

log = logging.getLogger(__name__)

VALID_SECONDS = 30 * 24 * 3600  # WeChat's longest for a temporary code
MAX_SCENE_LENGTH = 64  # WeChat's limit on scene_str
TIMEOUT_SECONDS = 5  # the staff member waits for the page: a slow WeChat falls back to the store's code


@dataclass(frozen=True)
class FollowCode:
    url: str  # what the QR code holds: WeChat's address for the code
    ticket: str


def has_account(merchant):
    return bool(merchant.wechat_app_id and merchant.wechat_app_secret)


def follow_code(merchant, scene):
    """A temporary follow QR of the merchant's official account carrying `scene`; None when the merchant has no
    official account or WeChat cannot make one now (the caller shows another code, the page still works)."""
    if not has_account(merchant):
        return None
    if not isinstance(scene, str) or not 0 < len(scene) <= MAX_SCENE_LENGTH:
        raise ValueError("scene must be 1-64 characters")
    try:
        client = client_for(merchant)
        client.timeout = TIMEOUT_SECONDS
        answer = client.qrcode.create({"expire_seconds": VALID_SECONDS, "action_name": "QR_STR_SCENE",
                                       "action_info": {"scene": {"scene_str": scene}}})
    except ChannelNotConfigured:
        return None
    except (WeChatClientException, requests.RequestException) as exc:
        log.warning("follow QR code of merchant %s not made: %s", merchant.id, exc)
        return None
    if not isinstance(answer, dict) or not answer.get("url") or not answer.get("ticket"):
        log.warning("follow QR code of merchant %s: WeChat answered without a url", merchant.id)
        return None
    return FollowCode(url=str(answer["url"]), ticket=str(answer["ticket"]))
