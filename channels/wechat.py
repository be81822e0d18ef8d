"""WeChat official-account clients (wechatpy) whose base URLs come from config."""
from flask import current_app
from wechatpy import WeChatClient, WeChatOAuth

from channels.tokens import storage_for
from domain.errors import DomainError
from wechatpy.exceptions import WeChatClientException


class SharedTokenClient(WeChatClient):
    """wechatpy's client with the token in shared storage, refreshed once per expiry across processes."""

    TIMEOUT = 10  # seconds: wechatpy waits forever by default, and a job or request stuck on WeChat holds its worker

    def __init__(self, appid, secret, api_base_url, storage):
        super().__init__(appid, secret, session=storage, timeout=self.TIMEOUT)
        self.API_BASE_URL = api_base_url  # instance attribute: wechatpy reads self.API_BASE_URL

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )

    def _fetch_token_pair(self):
        result = self._http.get(f"{self.API_BASE_URL}token", timeout=self.timeout or 10, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret}).json()
        if "access_token" not in result:
            raise WeChatClientException(result.get("errcode", -1), result.get("errmsg", "token request failed"))
        return result["access_token"], int(result.get("expires_in", 7200))

    @property
    def access_token(self):
        return self.session.get_or_refresh(self.access_token_key, self._fetch_token_pair)


def api_base():
    return current_app.config["WECHAT_API_BASE"]


def client_for(merchant):
    """The official-account API client of a merchant (menus, QR codes, template and mass messages, member cards)."""
    if not merchant.wechat_app_id or not merchant.wechat_app_secret:
        raise ChannelNotConfigured("商户尚未配置公众号 AppID 和 AppSecret")
    client = SharedTokenClient(merchant.wechat_app_id, merchant.wechat_app_secret, f"{api_base()}cgi-bin/",
                               storage_for(current_app))
    client.card.API_BASE_URL = api_base()  # wechatpy's card API carries its own host (card/... is not under cgi-bin)
    return client


def oauth_for(merchant, redirect_uri, scope="snsapi_base", state=""):
    """wechatpy's web-login helper pointed at the configured hosts."""
    if not merchant.wechat_app_id or not merchant.wechat_app_secret:
        raise ChannelNotConfigured("商户尚未配置公众号 AppID 和 AppSecret")
    oauth = WeChatOAuth(merchant.wechat_app_id, merchant.wechat_app_secret, redirect_uri, scope, state)
    oauth.API_BASE_URL = api_base()
    oauth.OAUTH_BASE_URL = current_app.config["WECHAT_OPEN_BASE"] + "connect/"
    return oauth


class ChannelNotConfigured(DomainError):
    code = "channel_not_configured"
