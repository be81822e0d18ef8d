"""Sandbox Alipay: the auth_base page (auth_code) and the gateway's `alipay.system.oauth.token`.

Like the real open platform, the sandbox holds its own RSA keypair (the "Alipay" key) and, per app,
the app's public key. Requests are verified against the app's public key; responses are signed with
the sandbox's private key, so python-alipay-sdk verifies them exactly as it would in production.
Keys are made on first use and kept in the shared_tokens table; `provision_merchant` gives a merchant
an app id and keypair and registers its public key here.
"""
import json
import re
import secrets
from base64 import b64decode, b64encode
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import abort, make_response, redirect, render_template, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import SandboxGrant, SandboxUser, SharedToken
from sandbox import blueprint

USER_COOKIE = "sandbox_alipay_user"
CODE_TTL = timedelta(minutes=5)
SANDBOX_KEY = "sandbox:alipay:private_key"
APP_KEY_PREFIX = "sandbox:alipay:app_public_key:"
_USER_ID = re.compile(r"^2088[0-9]{12}$")


# --- keys -------------------------------------------------------------------------------------------

def provision_merchant(session, merchant):
    """Give the merchant a sandbox Alipay app: app id, app keypair, and the sandbox's public key. Idempotent."""
    if not merchant.alipay_app_id:
        merchant.alipay_app_id = f"2021{secrets.randbelow(10 ** 12):012d}"
    if not merchant.alipay_private_key:
        merchant.alipay_private_key = _private_pem(_new_key())
    app_public = _public_pem(_load_private(merchant.alipay_private_key))
    _put(session, APP_KEY_PREFIX + merchant.alipay_app_id, app_public)
    merchant.alipay_public_key = _public_pem(_load_private(_sandbox_private_pem(session)))
    session.flush()
    return merchant


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _load_private(pem_text):
    from channels.alipay import pem

    return serialization.load_pem_private_key(pem(pem_text, private=True).encode(), password=None)


def _sandbox_private_pem(session):
    """The sandbox's own "Alipay" private key, created once (the first writer wins under the primary key)."""
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))
    if value:
        return value
    candidate = _private_pem(_new_key())
    try:
        with session.begin_nested():
            session.add(SharedToken(key=SANDBOX_KEY, value=candidate))
            session.flush()
    except IntegrityError:
        pass
    return session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))


def _put(session, key, value):
    row = session.get(SharedToken, key)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SharedToken(key=key, value=value))
                session.flush()
            return
        except IntegrityError:
            row = session.get(SharedToken, key)
    row.value = value


def _app_public_key(session, app_id):
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == APP_KEY_PREFIX + (app_id or "")))
    return serialization.load_pem_public_key(value.encode()) if value else None


# --- auth page --------------------------------------------------------------------------------------

@blueprint.route("/alipay/auth", methods=["GET", "POST"])
def alipay_auth():
    """Alipay's auth page: silent with the phone's current Alipay user, else pick or create one."""
    app_id, scope = request.values.get("app_id", ""), request.values.get("scope", "auth_base")
    redirect_uri, state = request.values.get("redirect_uri", ""), request.values.get("state", "")
    if _app_public_key(db.session, app_id) is None:
        abort(400, "unknown app_id")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        abort(400, "redirect_uri must be an absolute http(s) URL")
    user = None
    if request.method == "POST":
        user = _chosen_user(app_id)
    elif _USER_ID.match(request.cookies.get(USER_COOKIE, "")):
        user = _user(app_id, request.cookies[USER_COOKIE])
    if user is None:
        users = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay")
                                   .order_by(SandboxUser.id.desc()).limit(50)).all()
        return render_template("sandbox/alipay_auth.html", users=users, app_id=app_id, scope=scope,
                               redirect_uri=redirect_uri, state=state)
    code = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_code", value=code, app_id=app_id, user_key=user.user_key, scope=scope,
                                expires_at=now_utc() + CODE_TTL))
    db.session.commit()
    query = urlencode({"auth_code": code, "app_id": app_id, "source": "alipay_wallet", "scope": scope,
                       "state": state})
    response = redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}")
    response.set_cookie(USER_COOKIE, user.user_key, samesite="Lax", httponly=True)
    return response


def _chosen_user(app_id):
    user_key = request.form.get("user_key", "")
    if user_key:
        if not _USER_ID.match(user_key):
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


# --- gateway ----------------------------------------------------------------------------------------

@blueprint.route("/alipay/gateway.do", methods=["GET", "POST"])
def alipay_gateway():
    params = {k: v for k, v in request.values.items()}
    method = params.get("method", "")
    response_key = method.replace(".", "_") + "_response" if method else "error_response"
    app_key = _app_public_key(db.session, params.get("app_id"))
    if app_key is None:
        return _answer(response_key, _error("40002", "isv.invalid-app-id", "无效的AppID参数"))
    if params.get("sign_type") != "RSA2" or not _signed_by(app_key, params):
        return _answer(response_key, _error("40002", "isv.invalid-signature", "验签出错"))
    if method != "alipay.system.oauth.token":
        return _answer(response_key, _error("40004", "isv.invalid-method", "沙箱不支持该接口"))
    return _answer(response_key, _oauth_token(params))


def _signed_by(public_key, params):
    """RSA2 over the sorted, unencoded k=v pairs of every parameter except `sign`."""
    signature = params.get("sign", "")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
    try:
        public_key.verify(b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def _oauth_token(params):
    if params.get("grant_type") != "authorization_code":
        return _error("40002", "isv.grant-type-invalid", "不支持的grant_type")
    now = now_utc()
    user_key = db.session.execute(
        update(SandboxGrant).where(SandboxGrant.kind == "alipay_code", SandboxGrant.value == params.get("code", ""),
                                   SandboxGrant.app_id == params["app_id"], SandboxGrant.used_at.is_(None),
                                   SandboxGrant.expires_at > now)
        .values(used_at=now).returning(SandboxGrant.user_key)
    ).scalar_one_or_none()
    if user_key is None:
        db.session.rollback()
        return _error("40002", "isv.code-invalid", "授权码code无效")
    token = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_token", value=token, app_id=params["app_id"], user_key=user_key,
                                scope="auth_base", expires_at=now + timedelta(days=1)))
    db.session.commit()
    return {"user_id": user_key, "access_token": token, "expires_in": 86400, "refresh_token": secrets.token_hex(16),
            "re_expires_in": 2592000, "auth_start": now.strftime("%Y-%m-%d %H:%M:%S")}


def _error(code, sub_code, sub_msg):
    return {"code": code, "msg": "Invalid Arguments", "sub_code": sub_code, "sub_msg": sub_msg}


def _answer(response_key, body):
    """{"<method>_response": {...}, "sign": "..."} signed over the exact inner JSON text."""
    inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    key = _load_private(_sandbox_private_pem(db.session))
    db.session.commit()
    signature = b64encode(key.sign(inner.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    response = make_response(f'{{"{response_key}":{inner},"sign":"{signature}"}}')
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response
