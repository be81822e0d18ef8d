"""The simulated phone (/sandbox/phone): be a WeChat or Alipay user of a merchant, without a phone.

Follow and unfollow the official account, scan its QR codes, chat, tap its menu: each action is sent to
the app's callback over HTTP exactly as WeChat's servers would for the merchant's message mode (signed; plain,
encrypted in safe mode, both in compatible mode: the phone follows the merchant's setting, as WeChat does), and
the reply lands in the chat with what the account pushed (customer-service, template, and the mass messages
WeChat delivered to this user: text, or mpnews as a card opening the article page).
Links open "inside WeChat" as the chosen user: the sandbox cookies say who, and the member pages go
through the sandbox's OAuth page, which reads them.
"""
import re
from urllib.parse import urlsplit

import requests
from flask import abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import select

from domain.clock import now_utc
from extensions import db
from models import Merchant, SandboxGrant
from sandbox import alipay_keys, blueprint, wechat_events as events, wechat_state as sbx
from web import boundary

WECHAT_USER_COOKIE, ALIPAY_USER_COOKIE = "sandbox_wechat_user", "sandbox_alipay_user"
CLIENT_COOKIE, MERCHANT_COOKIE = "sandbox_client", "sandbox_phone_merchant"
ANCHOR = re.compile(r"""<a\s+href=["']([^"']+)["']\s*>(.*?)</a>""", re.S)
BARE_URL = re.compile(r"https?://[^\s<>\"']+")


# --- the page -----------------------------------------------------------------------------------------

@blueprint.route("/phone")
def phone():
    slug = request.args["m"] if "m" in request.args else request.cookies.get(MERCHANT_COOKIE)  # ?m= lists them
    merchant = _merchant(slug)
    if merchant is None:
        merchants = db.session.scalars(select(Merchant).order_by(Merchant.id)).all()
        return _remember(render_template("sandbox/phone.html", merchant=None, merchants=merchants), None)
    app_id = merchant.wechat_app_id or ""
    person = sbx.user(db.session, request.cookies.get(WECHAT_USER_COOKIE), app_id) if app_id else None
    context = dict(
        merchant=merchant, person=person, app_id=app_id,
        users=sbx.users(db.session, app_id) if app_id else [],
        following=sbx.follow_state(db.session, app_id, person.user_key) if person else {},
        chat=sbx.chat(db.session, app_id, person.user_key) if person else [],
        menu=sbx.published_menu(db.session, app_id) if app_id else [],
        qr_scenes=_qr_scenes(app_id), scan=request.args.get("scan", ""),
        reported=request.args.get("reported", type=int),
        message_mode=events.account_of(merchant).message_mode,
        alipay_users=sbx.users(db.session, merchant.alipay_app_id, "alipay") if merchant.alipay_app_id else [],
        callback_url=events.callback_url(current_app.config["PUBLIC_BASE_URL"], merchant.slug))
    return _remember(render_template("sandbox/phone.html", **context), merchant)


def _merchant(slug):
    if not slug:
        return None
    return db.session.scalars(select(Merchant).where(Merchant.slug == slug.strip().lower())).one_or_none()


def _remember(body, merchant):
    response = current_app.make_response(body)
    if merchant is not None:
        response.set_cookie(MERCHANT_COOKIE, merchant.slug, samesite="Lax", httponly=True)
    return response


def _qr_scenes(app_id):
    if not app_id:
        return []
    rows = db.session.scalars(select(SandboxGrant.scope).where(
        SandboxGrant.kind == "qr_ticket", SandboxGrant.app_id == app_id, SandboxGrant.expires_at > now_utc())
        .order_by(SandboxGrant.id.desc()).limit(8)).all()
    return list(dict.fromkeys(rows))


def _back(merchant, anchor="chat", **params):
    return redirect(url_for("sandbox.phone", m=merchant.slug, **params) + f"#{anchor}")


# --- set-up: the merchant's sandbox accounts and the users ----------------------------------------------------

@blueprint.route("/phone/setup", methods=["POST"])
def phone_setup():
    """Give the merchant a sandbox official account (and an Alipay app, when that sandbox is there)."""
    merchant = _required_merchant()
    sbx.provision_account(db.session, merchant)
    if request.form.get("alipay"):
        alipay_keys.provision_merchant(db.session, merchant)
    boundary.commit_now()
    return _back(merchant, "top")


@blueprint.route("/phone/wechat/user", methods=["POST"])
def phone_wechat_user():
    merchant = _required_merchant()
    if not merchant.wechat_app_id:
        return _back(merchant, "top")
    if request.form.get("action") == "create":
        person = sbx.create_wechat_user(db.session, merchant.wechat_app_id, request.form.get("nickname", ""))
    else:
        person = sbx.user(db.session, request.form.get("user_id"), merchant.wechat_app_id)
    boundary.commit_now()
    response = _back(merchant, "wechat")
    if person is not None:
        response.set_cookie(WECHAT_USER_COOKIE, str(person.id), samesite="Lax", httponly=True)
    return response


@blueprint.route("/phone/alipay/user", methods=["POST"])
def phone_alipay_user():
    """Be this Alipay user and open the member pages as them."""
    merchant = _required_merchant()
    if not merchant.alipay_app_id:
        return _back(merchant, "alipay")
    if request.form.get("action") == "create":
        person = sbx.create_alipay_user(db.session, merchant.alipay_app_id, request.form.get("nickname", ""))
    else:
        person = sbx.user(db.session, request.form.get("user_id"), merchant.alipay_app_id, "alipay")
    boundary.commit_now()
    if person is None:
        return _back(merchant, "alipay")
    response = redirect(f"/h5/{merchant.slug}/")
    # The Alipay sandbox's auth page knows its users by user_id (2088...).
    response.set_cookie(ALIPAY_USER_COOKIE, person.user_key, samesite="Lax", httponly=True)
    response.set_cookie(CLIENT_COOKIE, "alipay", samesite="Lax")
    return response


def _required_merchant():
    merchant = _merchant(request.form.get("m") or request.args.get("m"))
    if merchant is None:
        abort(404)
    return merchant


# --- acting as the WeChat user ------------------------------------------------------------------------------

@blueprint.route("/phone/wechat/send", methods=["POST"])
def phone_wechat_send():
    merchant = _required_merchant()
    person = sbx.user(db.session, request.cookies.get(WECHAT_USER_COOKIE), merchant.wechat_app_id or "")
    if person is None or not merchant.wechat_token:
        return _back(merchant, "wechat")
    account = events.account_of(merchant)
    action = request.form.get("action", "")
    xml, said, follow = _message(account, person, action)
    if xml is None:
        return _back(merchant)
    slug, app_id, openid = merchant.slug, merchant.wechat_app_id, person.user_key
    boundary.commit_now()  # hold nothing while the app handles the callback
    entries = [{"from": "user", "text": said}]
    try:
        delivery = events.deliver(current_app.config["PUBLIC_BASE_URL"], slug, account, xml)
        if delivery.status != 200:
            entries.append({"from": "system", "text": f"回调返回 HTTP {delivery.status}"})
        elif delivery.reply:
            entries.append({"from": "account", "reply": delivery.reply, "ms": round(delivery.elapsed_ms, 1),
                            "mode": account.message_mode})
    except requests.RequestException as exc:
        entries.append({"from": "system", "text": f"无法连接回调地址：{exc.__class__.__name__}"})
    for entry in entries:
        sbx.record(db.session, "chat", app_id, openid, entry)
    if follow is not None:
        sbx.set_follow(db.session, app_id, openid, *follow)
    boundary.commit_now()
    return _open(request.form.get("url", ""), person) if action == "view" else _back(merchant)


def _message(account, person, action):
    """(xml, what the chat shows the user did, new follow state or None)."""
    form, openid = request.form, person.user_key
    state = sbx.follow_state(db.session, account.app_id, openid)
    if action == "subscribe":
        return events.event_xml(account, openid, "subscribe"), "[关注公众号]", (True, None)
    if action == "unsubscribe":
        return events.event_xml(account, openid, "unsubscribe"), "[取消关注]", (False, None)
    if action == "scan":
        scene = form.get("scene", "").strip()[:64]
        if not scene:
            return None, None, None
        if state.get("subscribed"):
            return events.event_xml(account, openid, "SCAN", scene), f"[扫码：{scene}]", None
        return (events.event_xml(account, openid, "subscribe", f"qrscene_{scene}"), f"[扫码关注：{scene}]",
                (True, scene))
    if action == "text":
        text = form.get("text", "").strip()[:600]
        return (events.text_xml(account, openid, text), text, None) if text else (None, None, None)
    if action == "click":
        key = form.get("key", "")[:128]
        return events.event_xml(account, openid, "CLICK", key), f"[点击菜单：{form.get('name', key)}]", None
    if action == "view":
        url = form.get("url", "")[:1024]
        return events.event_xml(account, openid, "VIEW", url), f"[打开菜单：{form.get('name', url)}]", None
    return None, None, None


@blueprint.route("/phone/open")
def phone_open():
    """Open a link from the chat or the menu inside "WeChat", as the phone's current user."""
    merchant = _merchant(request.cookies.get(MERCHANT_COOKIE))
    app_id = merchant.wechat_app_id if merchant is not None else ""
    person = sbx.user(db.session, request.args.get("u") or request.cookies.get(WECHAT_USER_COOKIE), app_id or "")
    return _open(request.args.get("url", ""), person)


def _open(url, person):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return redirect(url_for("sandbox.phone"))
    public = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if url.startswith(public + "/"):
        url = url[len(public):]  # stay on the host the phone is browsing, so the cookies go along
    response = redirect(url)
    if person is not None:
        response.set_cookie(WECHAT_USER_COOKIE, str(person.id), samesite="Lax", httponly=True)
    response.set_cookie(CLIENT_COOKIE, "wechat", samesite="Lax")
    return response


@blueprint.route("/phone/qr/<ticket>")
def phone_qr(ticket):
    """What a parametric QR code's URL opens: the phone, ready to scan it."""
    grant = db.session.scalars(select(SandboxGrant).where(SandboxGrant.kind == "qr_ticket",
                                                          SandboxGrant.value == ticket)).one_or_none()
    merchant = sbx.merchant_for_app(db.session, grant.app_id) if grant is not None else None
    if merchant is None:
        return redirect(url_for("sandbox.phone"))
    return _back(merchant, "scan", scan=grant.scope)


# --- showing the chat -------------------------------------------------------------------------------------------

@blueprint.app_template_filter("sandbox_chat_text")
def chat_text(text):
    """Reply text as WeChat shows it: <a href> links (opened as the current user), bare URLs, line breaks."""
    out, last = [], 0
    for match in ANCHOR.finditer(text or ""):
        out.append(_linkify(text[last:match.start()]))
        out.append(_link(match.group(1), escape(match.group(2))))
        last = match.end()
    out.append(_linkify((text or "")[last:]))
    return Markup("".join(str(part) for part in out).replace("\n", Markup("<br>")))


def _linkify(segment):
    out, last = [], 0
    for match in BARE_URL.finditer(segment):
        out.append(escape(segment[last:match.start()]))
        out.append(_link(match.group(0), escape(match.group(0))))
        last = match.end()
    out.append(escape(segment[last:]))
    return Markup("").join(out)


def _link(url, label):
    return Markup('<a class="sbx-link" href="{}">{}</a>').format(url_for("sandbox.phone_open", url=url), label)
