"""What every member page needs: the merchant from the URL, the channel login, errors as H5 pages."""
import functools
import secrets

from flask import abort, current_app, flash, g, jsonify, make_response, redirect, render_template, request, session, \
    url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import NotFound as HTTPNotFound

from domain.clock import to_local, until_text
from domain.errors import DomainError, NotFound
from extensions import db
from member_h5 import blueprint
from models import Merchant
from services.verification import qr as instrument_qr
from services.members import qr as member_qr
from services.members.join import CHANNELS, ChannelLogin, member_for
from web import boundary

LOGIN_KEY = "h5_login"
# How often a shown QR code (member, coupon, card, gift card) fetches a fresh token; the note under every code
# says this same number. Well inside the token's validity, so one missed refresh still leaves a working code.
QR_REFRESH_SECONDS = 30
CLIENT_COOKIE = "sandbox_client"
# Channels a claim link or QR can carry (`?ch=`), so claims are counted where the member came from.
LINK_CHANNELS = ("poster_qr", "shop_qr", "menu", "mass_message", "template_message")


@blueprint.url_value_preprocessor
def load_merchant(endpoint, values):
    slug = (values or {}).pop("merchant_slug", "")
    merchant = db.session.scalars(select(Merchant).where(Merchant.slug == slug)).one_or_none()
    if merchant is None:
        raise HTTPNotFound()
    g.merchant = merchant


@blueprint.url_defaults
def add_merchant_slug(endpoint, values):
    if "merchant_slug" not in values and getattr(g, "merchant", None) is not None:
        values["merchant_slug"] = g.merchant.slug


@blueprint.after_request
def no_store(response):
    """Member data must not sit in shared caches; WeChat's webview caches aggressively."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- login in the session -----------------------------------------------------------------------------

def current_login():
    """The channel login for the merchant in the URL, or None (a login for another merchant is ignored)."""
    data = session.get(LOGIN_KEY)
    if not isinstance(data, dict) or data.get("m") != g.merchant.id or data.get("c") not in CHANNELS:
        return None
    return ChannelLogin(merchant_id=data["m"], channel=data["c"], app_id=data.get("a") or "",
                        user_key=data["u"], unionid=data.get("n"))


def remember_login(login):
    session[LOGIN_KEY] = {"m": login.merchant_id, "c": login.channel, "a": login.app_id, "u": login.user_key,
                          "n": login.unionid}


def detect_client():
    """'wechat', 'alipay' or None. In the sandbox the simulated phone's cookie says which app it plays."""
    if current_app.config.get("SANDBOX_ENABLED"):
        chosen = request.cookies.get(CLIENT_COOKIE)
        if chosen in CHANNELS:
            return chosen
    agent = request.headers.get("User-Agent", "")
    if "MicroMessenger" in agent:
        return "wechat"
    if "AlipayClient" in agent:
        return "alipay"
    return None


def safe_next(target):
    """Only a path inside this merchant's member pages may be returned to after login."""
    prefix = url_for("member_h5.index")
    if isinstance(target, str) and target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    return prefix


def public_url(endpoint, **values):
    """An absolute URL on PUBLIC_BASE_URL (what WeChat and Alipay redirect the phone back to)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def member_required(view):
    """A signed-in person with a member card at this merchant; otherwise login, or the claim page."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        login = current_login()
        if login is None:
            if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
                return jsonify(error="login_required", message=_("请重新打开会员页面")), 401
            # the query is kept: a claim link's ?ch= channel must survive the login round trip
            return redirect(url_for("member_h5.index", next=request.full_path.rstrip("?")))
        member = member_for(db.session, login)
        if member is None:
            if request.path.endswith(".json"):
                return jsonify(error="no_member", message=_("请先领取会员卡")), 403
            return redirect(url_for("member_h5.claim"))
        if member.status != "active":
            if request.path.endswith(".json"):
                return jsonify(error="member_disabled", message=_("会员卡已停用")), 403
            return message_page(_("会员卡已停用"), _("您的会员卡已停用，如有疑问请联系商家。"), 403, icon="warn")
        g.login, g.member = login, member
        return view(*args, **kwargs)

    return guarded


def message_page(title, text, status=200, *, icon="info", link=None, link_text=None):
    return render_template("member_h5/message.html", title=title, text=text, icon=icon, link=link,
                           link_text=link_text), status


# --- the shapes member pages share ------------------------------------------------------------------

def pick_tab(tabs):
    """The `?tab=` asked for when it is one of `tabs`, else the first: a stale link still shows a page."""
    tab = request.args.get("tab")
    return tab if tab in dict(tabs) else tabs[0][0]


def link_channel(value=None):
    """The claim channel a link carried (the query's `ch` unless given), or 'h5' for anything unknown."""
    value = request.args.get("ch") if value is None else value
    return value if value in LINK_CHANNELS else "h5"


def claim_form(form_class, prefix, channel):
    """A claim form with a fresh idempotency key, minted at render so a double tap claims once."""
    form = form_class(formdata=None)
    form.key.data = f"{prefix}:{g.member.id}:{secrets.token_urlsafe(16)}"
    form.channel.data = channel
    return form


def attempt(action, back, *, status=302):
    """Run a member's service call. A refusal keeps nothing, is flashed and sends the member `back`;
    a NotFound still ends on the 404 page."""
    return _attempt(action, lambda exc: _flashed(exc.message, back, status))


def attempt_or_page(action, title, link, link_text, *, handled=()):
    """Like attempt, for link pages that have nowhere to go back to: a refusal is a message page.
    Errors in `handled` reach the caller, for refusals whose work must still be committed."""
    return _attempt(action, lambda exc: make_response(
        message_page(title, exc.message, exc.http_status, icon="warn", link=link, link_text=link_text)), handled)


def _attempt(action, refusal, handled=()):
    try:
        return action()
    except (NotFound, *handled):
        raise
    except DomainError as exc:
        db.session.rollback()
        abort(refusal(exc))  # the response ends the request from inside the view's call


def committed(message, target, status=302):
    """The end of a successful POST: say so, redirect (after the POST, so a reload does not repeat it); the
    redirect commits at the request's boundary (web/boundary.py)."""
    if message:
        flash(message, "success")
    return redirect(target, status)


def expired_back(target, status=302):
    """A form whose CSRF token or hidden key no longer validates: the page was open too long."""
    return _flashed(_("页面已过期，请刷新后再试"), target, status)


def _flashed(message, target, status):
    flash(message, "warning")
    return redirect(target, status)


def instrument_qr_json(card, usable, refusal):
    """A fresh QR for a card's detail page; the page polls it before the signed token runs out."""
    return qr_json(usable, lambda: instrument_qr.token(card), "卡码", instrument_qr.VALID_SECONDS, refusal)


def qr_json(usable, token, label, seconds, refusal):
    if not usable:
        return jsonify(error="not_usable", message=refusal), 409
    return jsonify(svg=member_qr.svg(token(), label=label), expires_in=seconds)


# --- errors as H5 pages -------------------------------------------------------------------------------

@blueprint.errorhandler(DomainError)
def domain_error(exc):
    boundary.discard_unless_kept()
    if isinstance(exc, NotFound):
        return message_page(_("页面不存在"), exc.message, 404, icon="warn")
    return message_page(_("操作未完成"), exc.message, exc.http_status, icon="warn",
                        link=url_for("member_h5.index"), link_text=_("返回会员卡"))


@blueprint.errorhandler(CSRFError)
def csrf_error(exc):
    boundary.discard_unless_kept()
    return message_page(_("页面已过期"), _("页面已过期，请返回后刷新页面再试"), 400, icon="warn",
                        link=url_for("member_h5.index"), link_text=_("返回会员卡"))


@blueprint.errorhandler(404)
def not_found(exc):
    boundary.discard_unless_kept()
    return message_page(_("页面不存在"), _("页面或记录不存在"), 404, icon="warn")


@blueprint.context_processor
def template_helpers():
    merchant = getattr(g, "merchant", None)
    tz_name = merchant.timezone if merchant is not None else None

    def local(moment, fmt="%Y-%m-%d %H:%M"):
        return to_local(moment, tz_name).strftime(fmt) if moment is not None else ""

    def until(ends_at):
        """An end time as the last valid day (an end at local midnight is exclusive), the same on every page."""
        return until_text(ends_at, tz_name) if ends_at is not None else ""

    return {"merchant": merchant, "local": local, "until": until, "tenths": _tenths,
            "qr_refresh_seconds": QR_REFRESH_SECONDS}


def _tenths(value):
    """95 -> '9.5', 120 -> '12': discounts in 折 and multipliers in 倍 without floats."""
    whole, part = divmod(int(value), 10)
    return f"{whole}.{part}" if part else str(whole)
