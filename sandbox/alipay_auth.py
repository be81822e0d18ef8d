"""Sandbox Alipay sign-in: the auth_base page (silent with the phone's current Alipay user, else pick or create
one) that redirects back with an auth_code, and `alipay.system.oauth.token`, which the gateway answers by
exchanging that code once for the user's id and an access token."""
import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import abort, redirect, render_template, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import SandboxGrant, SandboxUser
from sandbox import alipay_keys, blueprint
from sandbox.alipay_trades import error
from web import boundary

USER_COOKIE = "sandbox_alipay_user"
CODE_TTL = timedelta(minutes=5)
USER_ID = re.compile(r"^2088[0-9]{12}$")


@blueprint.route("/alipay/auth", methods=["GET", "POST"])
def alipay_auth():
    """Alipay's auth page: silent with the phone's current Alipay user, else pick or create one."""
    app_id, scope = request.values.get("app_id", ""), request.values.get("scope", "auth_base")
    redirect_uri, state = request.values.get("redirect_uri", ""), request.values.get("state", "")
    if alipay_keys.app_public_key(db.session, app_id) is None:
        abort(400, "unknown app_id")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        abort(400, "redirect_uri must be an absolute http(s) URL")
    user = None
    if request.method == "POST":
        user = _chosen_user(app_id)
    elif USER_ID.match(request.cookies.get(USER_COOKIE, "")):
        user = _user(app_id, request.cookies[USER_COOKIE])
    if user is None:
        users = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay")
                                   .order_by(SandboxUser.id.desc()).limit(50)).all()
        return render_template("sandbox/alipay_auth.html", users=users, app_id=app_id, scope=scope,
                               redirect_uri=redirect_uri, state=state)
    code = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_code", value=code, app_id=app_id, user_key=user.user_key, scope=scope,
                                expires_at=now_utc() + CODE_TTL))
    boundary.commit_now()
    query = urlencode({"auth_code": code, "app_id": app_id, "source": "alipay_wallet", "scope": scope,
                       "state": state})
    response = redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}")
    response.set_cookie(USER_COOKIE, user.user_key, samesite="Lax", httponly=True)
    return response


def _chosen_user(app_id):
    user_key = request.form.get("user_key", "")
    if user_key:
        if not USER_ID.match(user_key):
            abort(400, "bad user_key")
        return _user(app_id, user_key)
    nickname = (request.form.get("nickname") or "").strip()[:60]
    user_key = f"2088{secrets.randbelow(10 ** 12):012d}"
    return _user(app_id, user_key, nickname or f"支付宝用户{user_key[-4:]}")


def _user(app_id, user_key, nickname=None):
    """The sandbox Alipay user (Alipay user ids are global; the row for this app is made on first use)."""
    user = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay", SandboxUser.app_id == app_id,
                                                        SandboxUser.user_key == user_key)).one_or_none()
    if user is None:
        known = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay",
                                                             SandboxUser.user_key == user_key).limit(1)).first()
        user = SandboxUser(channel="alipay", app_id=app_id, user_key=user_key,
                           nickname=nickname or (known.nickname if known else f"支付宝用户{user_key[-4:]}"))
        try:
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
        except IntegrityError:
            user = db.session.scalars(select(SandboxUser).where(
                SandboxUser.channel == "alipay", SandboxUser.app_id == app_id,
                SandboxUser.user_key == user_key)).one()
    return user


def oauth_token(params):
    """alipay.system.oauth.token: an unused, unexpired auth_code of this app -> the user's id and a token."""
    if params.get("grant_type") != "authorization_code":
        return error("40002", "isv.grant-type-invalid", "不支持的grant_type")
    now = now_utc()
    user_key = db.session.execute(
        update(SandboxGrant).where(SandboxGrant.kind == "alipay_code", SandboxGrant.value == params.get("code", ""),
                                   SandboxGrant.app_id == params["app_id"], SandboxGrant.used_at.is_(None),
                                   SandboxGrant.expires_at > now)
        .values(used_at=now).returning(SandboxGrant.user_key)
    ).scalar_one_or_none()
    if user_key is None:
        db.session.rollback()
        return error("40002", "isv.code-invalid", "授权码code无效")
    token = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_token", value=token, app_id=params["app_id"], user_key=user_key,
                                scope="auth_base", expires_at=now + timedelta(days=1)))
    boundary.commit_now()
    return {"user_id": user_key, "access_token": token, "expires_in": 86400, "refresh_token": secrets.token_hex(16),
            "re_expires_in": 2592000, "auth_start": now.strftime("%Y-%m-%d %H:%M:%S")}
