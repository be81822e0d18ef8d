"""Login: silent WeChat OAuth or Alipay auth_base, a random state checked on return, each code used once."""
import hmac
import logging
import secrets

import requests
from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from wechatpy.exceptions import WeChatException

from channels import alipay
from channels.wechat import ChannelNotConfigured, oauth_for
from domain.errors import DomainError
from extensions import db
from member_h5 import blueprint
from member_h5.common import current_login, detect_client, message_page, public_url, remember_login, safe_next
from models import WechatSettings
from services.members.join import ChannelLogin, member_for
from services.shared.tenancy import scoped

log = logging.getLogger(__name__)
PENDING_KEY = "h5_oauth"


@blueprint.route("/")
def index():
    """The member card link: straight to the card when signed in, else log in through the app we are in."""
    login = current_login()
    if login is not None:
        if member_for(db.session, login) is not None:
            return redirect(safe_next(request.args.get("next")) if request.args.get("next")
                            else url_for("member_h5.centre"))
        return redirect(url_for("member_h5.claim"))
    client = detect_client()
    if client is None:
        return open_in_app()
    nxt = safe_next(request.args.get("next")) if request.args.get("next") else url_for("member_h5.centre")
    try:
        return _start(client, nxt)
    except ChannelNotConfigured as exc:
        return message_page(_("暂未开通"), exc.message, 503, icon="warn")


def open_in_app():
    sandbox = current_app.config.get("SANDBOX_ENABLED")
    return message_page(_("请在微信或支付宝中打开"),
                        _("%(name)s 的会员卡需要在微信或支付宝中打开。请在微信中关注公众号，或用支付宝扫码后进入。",
                          name=g.merchant.name),
                        icon="info", link="/sandbox/phone" if sandbox else None,
                        link_text=_("打开模拟手机（沙箱）") if sandbox else None)


def _start(client, nxt):
    state = secrets.token_urlsafe(16)
    session[PENDING_KEY] = {"m": g.merchant.id, "c": client, "s": state, "next": nxt}
    if client == "wechat":
        oauth = oauth_for(g.merchant, public_url("member_h5.wechat_return"), _wechat_scope(), state)
        return redirect(oauth.authorize_url)
    return redirect(alipay.auth_url(g.merchant, public_url("member_h5.alipay_return"), state))


def _wechat_scope():
    settings = db.session.scalars(scoped(WechatSettings, g.merchant.id)).one_or_none()
    return "snsapi_userinfo" if settings is not None and settings.oauth_userinfo else "snsapi_base"


def _pending(channel):
    """The login this browser started, if the returned state is the one we stored (used once)."""
    pending = session.pop(PENDING_KEY, None)
    state = request.args.get("state", "")
    if (not isinstance(pending, dict) or pending.get("m") != g.merchant.id or pending.get("c") != channel
            or not state or not hmac.compare_digest(str(pending.get("s", "")), state)):
        return None
    return pending


def _state_refused():
    log.info("h5 login state mismatch for merchant %s", g.merchant.id)
    return message_page(_("登录已失效"),
                        _("登录校验未通过（页面已过期或链接被重复打开），请返回后重新进入会员页面。"), 400,
                        icon="warn", link=url_for("member_h5.index"), link_text=_("重新进入"))


@blueprint.route("/oauth/wechat")
def wechat_return():
    pending = _pending("wechat")
    if pending is None:
        return _state_refused()
    code = request.args.get("code", "")
    if not code:
        return message_page(_("未授权"), _("您取消了微信授权，无法进入会员页面。"), 400, icon="warn",
                            link=url_for("member_h5.index"), link_text=_("重新授权"))
    scope = _wechat_scope()
    oauth = oauth_for(g.merchant, public_url("member_h5.wechat_return"), scope, pending["s"])
    try:
        token = oauth.fetch_access_token(code)
        unionid = token.get("unionid")
        if scope == "snsapi_userinfo" and not unionid:
            unionid = oauth.get_user_info().get("unionid")
    except (WeChatException, requests.RequestException, KeyError, ValueError) as exc:
        log.warning("wechat oauth failed for merchant %s: %s", g.merchant.id, exc)
        return message_page(_("微信登录失败"), _("微信授权未完成或已过期，请返回后重新进入会员页面。"), 502,
                            icon="warn", link=url_for("member_h5.index"), link_text=_("重新进入"))
    return _signed_in(ChannelLogin(g.merchant.id, "wechat", g.merchant.wechat_app_id, token["openid"],
                                   unionid or None), pending)


@blueprint.route("/oauth/alipay")
def alipay_return():
    pending = _pending("alipay")
    if pending is None:
        return _state_refused()
    code = request.args.get("auth_code", "")
    if not code:
        return message_page(_("未授权"), _("您取消了支付宝授权，无法进入会员页面。"), 400, icon="warn",
                            link=url_for("member_h5.index"), link_text=_("重新授权"))
    try:
        user_id = alipay.user_id_for_code(g.merchant, code)
    except DomainError as exc:
        return message_page(_("支付宝登录失败"), exc.message, 502, icon="warn", link=url_for("member_h5.index"),
                            link_text=_("重新进入"))
    # Alipay user ids are the same across apps, so the identity is not scoped to an app id.
    return _signed_in(ChannelLogin(g.merchant.id, "alipay", "", user_id), pending)


def _signed_in(login, pending):
    remember_login(login)
    if member_for(db.session, login) is None:
        return redirect(url_for("member_h5.claim"))
    return redirect(safe_next(pending.get("next")))
