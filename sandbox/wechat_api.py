"""Sandbox WeChat: the official-account API (/sandbox/wechat/api/...) and web login (/sandbox/wechat/open/...).

JSON like WeChat's, errors as HTTP 200 with errcode/errmsg (wechatpy raises on those, and fetches a new
access token on 40001/42001 exactly as with the real API). Every call but token needs a live token.
"""
import functools
import json
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import current_app, jsonify, make_response, redirect, render_template, request

from extensions import db
from sandbox import blueprint, wechat_state as sbx
from sandbox.wechat_state import ApiError
from web import boundary

API = "/wechat/api/"
USER_COOKIE = "sandbox_wechat_user"
QR_ACTIONS = {"QR_SCENE": False, "QR_STR_SCENE": False, "QR_LIMIT_SCENE": True, "QR_LIMIT_STR_SCENE": True}


def _error(exc):
    db.session.rollback()
    return jsonify(errcode=exc.errcode, errmsg=exc.errmsg, **exc.extra)


def api(view):
    """A WeChat API endpoint: commit on success, WeChat's JSON error otherwise."""
    @functools.wraps(view)
    def answer(*args, **kwargs):
        try:
            result = view(*args, **kwargs)
        except ApiError as exc:
            return _error(exc)
        boundary.commit_now()
        return jsonify(result)

    return answer


def token_app():
    """The app id of the call's access token (a live one, else WeChat's error)."""
    return sbx.app_of_token(db.session, request.args.get("access_token"))


def json_body():
    """The call's JSON object, else WeChat's 47001."""
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        raise ApiError(47001) from None
    if not isinstance(data, dict):
        raise ApiError(47001)
    return data


def _openid(value):
    return isinstance(value, str) and 0 < len(value) <= 128


def _ok(**extra):
    return {"errcode": 0, "errmsg": "ok", **extra}


# --- credentials ----------------------------------------------------------------------------------------

@blueprint.route(API + "cgi-bin/token")
@api
def wechat_token():
    if request.args.get("grant_type") != "client_credential":
        raise ApiError(40002)
    app_id = request.args.get("appid", "")
    sbx.check_secret(db.session, app_id, request.args.get("secret"))
    grant = sbx.issue(db.session, "access_token", app_id)
    return {"access_token": grant.value, "expires_in": int(sbx.TOKEN_TTL.total_seconds())}


@blueprint.route(API + "cgi-bin/ticket/getticket")
@api
def wechat_ticket():
    app_id = token_app()
    kind = request.args.get("type", "jsapi")
    grant = sbx.issue(db.session, "jsapi_ticket" if kind == "jsapi" else f"{kind[:12]}_ticket", app_id)
    return _ok(ticket=grant.value, expires_in=int(sbx.TOKEN_TTL.total_seconds()))


# --- users, menu, QR codes ------------------------------------------------------------------------------

@blueprint.route(API + "cgi-bin/user/info")
@api
def wechat_user_info():
    app_id = token_app()
    person = sbx.user_by_openid(db.session, app_id, request.args.get("openid", ""))
    if person is None:
        raise ApiError(40003)
    state = sbx.follow_state(db.session, app_id, person.user_key)
    if not state.get("subscribed"):
        return {"subscribe": 0, "openid": person.user_key, **({"unionid": person.unionid} if person.unionid else {})}
    scene = state.get("scene")
    return {**sbx.profile(person), "subscribe": 1, "subscribe_time": state.get("at", 0), "remark": "",
            "groupid": 0, "tagid_list": [], "subscribe_scene": "ADD_SCENE_QR_CODE" if scene else "ADD_SCENE_SEARCH",
            "qr_scene": 0, "qr_scene_str": scene or ""}


@blueprint.route(API + "cgi-bin/menu/create", methods=["POST"])
@api
def wechat_menu_create():
    app_id = token_app()
    menu = json_body()
    _check_menu(menu.get("button"))
    sbx.record(db.session, "menu", app_id, None, menu)
    return _ok()


def _check_menu(buttons):
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016)
    for button in buttons:
        if not isinstance(button, dict):
            raise ApiError(47001)
        subs = button.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > 5 or not all(isinstance(sub, dict) for sub in subs):
                raise ApiError(40023)
            _check_button(button, 16, container=True)
            for sub in subs:
                _check_button(sub, 60)
        else:
            _check_button(button, 16)


def _check_button(button, name_bytes, container=False):
    name = button.get("name") or ""
    if not isinstance(name, str) or not name or len(name.encode("gbk", "replace")) > name_bytes:
        raise ApiError(40018)
    if container:
        return
    if button.get("type") == "click":
        if not isinstance(button.get("key"), str) or not button["key"] or len(button["key"].encode()) > 128:
            raise ApiError(40019)
    elif button.get("type") == "view":
        if not str(button.get("url", "")).startswith(("http://", "https://")):
            raise ApiError(40054)
    else:
        raise ApiError(40017)


@blueprint.route(API + "cgi-bin/menu/get")
@api
def wechat_menu_get():
    return {"menu": {"button": sbx.published_menu(db.session, token_app())}}


@blueprint.route(API + "cgi-bin/qrcode/create", methods=["POST"])
@api
def wechat_qrcode_create():
    app_id = token_app()
    data = json_body()
    action = data.get("action_name")
    info = data.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    value = scene.get("scene_str" if "STR" in str(action) else "scene_id") if isinstance(scene, dict) else None
    if action not in QR_ACTIONS or value in (None, ""):
        raise ApiError(47001)
    try:
        seconds = 0 if QR_ACTIONS[action] else min(max(int(data.get("expire_seconds") or 60), 60), 2592000)
    except (TypeError, ValueError):
        raise ApiError(47001) from None
    permanent = QR_ACTIONS[action]
    ttl = timedelta(days=36500) if permanent else timedelta(seconds=seconds)
    grant = sbx.issue(db.session, "qr_ticket", app_id, ttl=ttl, scope=str(value)[:64])
    url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sandbox/phone/qr/{grant.value}"
    return {"ticket": grant.value, "url": url, **({} if permanent else {"expire_seconds": seconds})}


# --- messages (mass messages: sandbox/wechat_mass.py) ------------------------------------------------------

@blueprint.route(API + "cgi-bin/message/template/send", methods=["POST"])
@api
def wechat_template_send():
    app_id, data = token_app(), json_body()
    if not _openid(data.get("touser")) or not data.get("template_id"):
        raise ApiError(40003 if not _openid(data.get("touser")) else 47001)
    row = sbx.record(db.session, "template", app_id, data["touser"], data)
    return _ok(msgid=row.id)


@blueprint.route(API + "cgi-bin/message/custom/send", methods=["POST"])
@api
def wechat_custom_send():
    app_id, data = token_app(), json_body()
    if not _openid(data.get("touser")):
        raise ApiError(40003)
    sbx.record(db.session, "custom", app_id, data["touser"], data)
    return _ok()


# --- web login (OAuth) ------------------------------------------------------------------------------------

@blueprint.route(API + "sns/oauth2/access_token")
@api
def wechat_oauth_token():
    if request.args.get("grant_type") != "authorization_code":
        raise ApiError(40002)
    app_id = request.args.get("appid", "")
    sbx.check_secret(db.session, app_id, request.args.get("secret"))
    code = sbx.consume_code(db.session, app_id, request.args.get("code"))
    token = sbx.issue(db.session, "oauth_token", app_id, user_key=code.user_key, scope=code.scope)
    refresh = sbx.issue(db.session, "oauth_refresh", app_id, ttl=timedelta(days=30), user_key=code.user_key,
                        scope=code.scope)
    person = sbx.user_by_openid(db.session, app_id, code.user_key)
    return {"access_token": token.value, "expires_in": int(sbx.TOKEN_TTL.total_seconds()),
            "refresh_token": refresh.value, "openid": code.user_key, "scope": code.scope,
            **({"unionid": person.unionid} if person is not None and person.unionid else {})}


@blueprint.route(API + "sns/userinfo")
@api
def wechat_oauth_userinfo():
    grant = sbx.live_grant(db.session, "oauth_token", request.args.get("access_token"), expired_code=42001)
    if request.args.get("openid") != grant.user_key:
        raise ApiError(40003)
    if "snsapi_userinfo" not in (grant.scope or ""):
        raise ApiError(48001)
    person = sbx.user_by_openid(db.session, grant.app_id, grant.user_key)
    if person is None:
        raise ApiError(40003)
    return sbx.profile(person)


@blueprint.route("/wechat/open/connect/oauth2/authorize", methods=["GET", "POST"])
def wechat_authorize():
    """WeChat's login page: silent for snsapi_base, 允许 for snsapi_userinfo, as the phone's current user."""
    params = {key: request.values.get(key, "") for key in ("appid", "redirect_uri", "scope", "state")}
    merchant = sbx.merchant_for_app(db.session, params["appid"])
    if merchant is None:
        return _authorize_error("appid 无效（40013）")
    if params["scope"] not in ("snsapi_base", "snsapi_userinfo") or not _allowed_redirect(params["redirect_uri"]):
        return _authorize_error("redirect_uri 或 scope 参数错误（10003）")
    person = _current_user(params["appid"])
    if request.method == "POST" and request.form.get("action") in ("pick", "create"):
        person = _picked_user(params["appid"])
    if person is None:
        return _page("sandbox/wechat_authorize.html", step="pick", params=params, merchant=merchant,
                     users=sbx.users(db.session, params["appid"]))
    if params["scope"] == "snsapi_userinfo" and request.form.get("action") != "allow":
        return _page("sandbox/wechat_authorize.html", step="consent", params=params, merchant=merchant,
                     person=person)
    code = sbx.issue(db.session, "oauth_code", params["appid"], ttl=sbx.CODE_TTL, user_key=person.user_key,
                     scope=params["scope"])
    boundary.commit_now()
    joiner = "&" if "?" in params["redirect_uri"] else "?"
    response = redirect(params["redirect_uri"] + joiner + urlencode({"code": code.value, "state": params["state"]}))
    response.set_cookie(USER_COOKIE, str(person.id), samesite="Lax", httponly=True)
    return response


def _current_user(app_id):
    return sbx.user(db.session, request.cookies.get(USER_COOKIE), app_id)


def _picked_user(app_id):
    if request.form.get("action") == "create":
        return sbx.create_wechat_user(db.session, app_id, request.form.get("nickname", ""))
    return sbx.user(db.session, request.form.get("user_id"), app_id)


def _allowed_redirect(uri):
    """Like WeChat's 网页授权域名: only back to this app's own host."""
    parts = urlsplit(uri or "")
    if parts.scheme not in ("http", "https"):
        return False
    own = {urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc, request.host}
    return parts.netloc in own


def _page(template, **context):
    boundary.commit_now()
    return render_template(template, **context)


def _authorize_error(message):
    db.session.rollback()
    return make_response(render_template("sandbox/wechat_authorize.html", step="error", message=message), 400)
