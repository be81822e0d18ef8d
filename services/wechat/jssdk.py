"""`wx.config` parameters for a page inside WeChat: the merchant's jsapi_ticket and wechatpy's signature.

The ticket is fetched through the merchant's official-account client and kept in the shared token
storage (Redis, or the database), so one process fetches it per expiry and every other one reuses it;
WeChat limits how often a ticket may be fetched.
"""
import secrets

import requests
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from domain.errors import DomainError

JS_API_LIST = ("scanQRCode",)  # the staff page's scanner
SHARE_API_LIST = ("updateAppMessageShareData", "updateTimelineShareData")  # a member page shared (招募推广)
MAX_URL_LENGTH = 1000


class JssdkUnavailable(DomainError):
    code = "jssdk_unavailable"
    http_status = 503


def ticket_key(app_id):
    return f"{app_id}_jsapi_ticket"


def jsapi_ticket(client):
    """The client's current jsapi_ticket, from shared storage or fetched once for every process."""

    def fetch():
        answer = client.jsapi.get_ticket("jsapi")
        return answer["ticket"], int(answer.get("expires_in", 7200))

    try:
        return client.session.get_or_refresh(ticket_key(client.appid), fetch)
    except (WeChatClientException, requests.RequestException, KeyError, ValueError) as exc:
        raise JssdkUnavailable("暂时无法获取微信扫一扫配置，请使用摄像头扫码或手动输入") from exc


def page_url(url):
    """The URL WeChat signs: the page's address without its fragment."""
    url = (url or "").split("#", 1)[0]
    if not url or len(url) > MAX_URL_LENGTH or not url.startswith(("http://", "https://")):
        raise DomainError("页面地址不正确")
    return url


def config_for(merchant, url, now=None, js_api_list=JS_API_LIST):
    """The arguments of `wx.config` for this page of this merchant, for the JS-SDK calls the page makes."""
    url = page_url(url)
    client = client_for(merchant)
    ticket = jsapi_ticket(client)
    timestamp = int((now or now_utc()).timestamp())
    nonce = secrets.token_hex(8)
    signature = client.jsapi.get_jsapi_signature(nonce, ticket, timestamp, url)
    return {"appId": merchant.wechat_app_id, "timestamp": timestamp, "nonceStr": nonce, "signature": signature,
            "jsApiList": list(js_api_list)}
