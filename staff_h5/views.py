"""Signing in, the store choice, the device cookie, and the staff member's own records with undo."""
import functools

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from domain.clock import local_midnight_utc, local_today, now_utc
from domain.errors import DomainError
from extensions import db
from models import Store, Verification
from services.verification import instruments
from services.merchant import staff as staff_service
from web import login_limits
from web.requests import client_ip
from staff_h5 import blueprint, limits
from staff_h5.forms import ActionForm, LoginForm, StoreForm

STORE_KEY = "staff_store_id"


def method_labels():
    return {"scan": _("扫码"), "manual": _("手动输入"), "api": _("接口")}


def instrument_labels():
    return {"coupon": _("优惠券"), "count_card": _("次卡"), "timed_card": _("时长卡"), "gift_card": _("礼品卡"),
            "benefit_card": _("权益卡")}


def stores_for(staff):
    """The stores where this staff member may work: their own for store-bound roles, else all active ones."""
    if staff.is_store_bound:
        return [s for s in staff.stores if s.active]
    return list(db.session.scalars(select(Store).where(Store.merchant_id == staff.merchant_id, Store.active)
                                   .order_by(Store.id)))


def _current_store():
    # Re-checked on every request: a store id forged into the session, or a store the staff member has since
    # lost, sends them back to the store choice.
    store_id = session.get(STORE_KEY)
    if store_id is None:
        return None
    return next((s for s in stores_for(current_user) if s.id == store_id), None)


def staff_required(view):
    """Signed in as an active staff member, with a store chosen for this session."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("staff_h5.login"))
        g.store = _current_store()
        if g.store is None:
            return redirect(url_for("staff_h5.choose_store"))
        return view(*args, **kwargs)

    return guarded


@blueprint.before_request
def _device():
    g.new_device = False
    g.device_id = request.cookies.get(limits.DEVICE_COOKIE, "")[:64] or None
    if g.device_id is None:
        g.device_id, g.new_device = limits.new_device_id(), True


@blueprint.after_request
def _set_device(response):
    if g.get("new_device"):
        response.set_cookie(limits.DEVICE_COOKIE, g.device_id, max_age=365 * 86400, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff_h5.verify_page"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            staff = login_limits.sign_in(db.session, form.merchant.data, form.username.data, form.password.data,
                                         client_ip())
        except login_limits.TooManyAttempts as locked:
            flash(locked.message, "warning")
            return render_template("staff_h5/login.html", form=form), 429
        if staff is None:
            flash(_("商户号、账号或密码不正确，或账号已停用"), "warning")
        else:
            login_user(staff)
            session.pop(STORE_KEY, None)
            return redirect(url_for("staff_h5.choose_store"))
    return render_template("staff_h5/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        if current_user.is_authenticated:
            staff_service.end_sessions(db.session, current_user)  # every copy of this session's cookie, too
        logout_user()
        session.pop(STORE_KEY, None)
        flash(_("已退出登录"), "info")
    return redirect(url_for("staff_h5.login"))


@blueprint.route("/store", methods=["GET", "POST"])
def choose_store():
    if not current_user.is_authenticated:
        return redirect(url_for("staff_h5.login"))
    stores = stores_for(current_user)
    if not stores:
        return render_template("staff_h5/message.html", title=_("没有可用门店"),
                               text=_("您的账号没有可工作的门店，请联系管理员。"), logout=ActionForm()), 403
    form = StoreForm()
    form.store_id.choices = [(s.id, s.name) for s in stores]
    if len(stores) == 1 and request.method == "GET":
        session[STORE_KEY] = stores[0].id
        return redirect(url_for("staff_h5.verify_page"))
    if form.validate_on_submit():
        session[STORE_KEY] = form.store_id.data
        return redirect(url_for("staff_h5.verify_page"))
    if request.method == "GET":  # the store worked in last, or the first, so one tap confirms
        form.store_id.data = session.get(STORE_KEY) or stores[0].id
    return render_template("staff_h5/store.html", form=form, logout=ActionForm())


@blueprint.route("/records")
@staff_required
def records():
    tz = current_user.merchant.timezone
    since = local_midnight_utc(local_today(tz), tz)
    rows = db.session.scalars(
        select(Verification).where(Verification.merchant_id == current_user.merchant_id,
                                   Verification.staff_id == current_user.id, Verification.created_at >= since)
        .order_by(Verification.created_at.desc(), Verification.id.desc())).all()
    now = now_utc()
    undoable = {r.id for r in rows if r.undone_at is None and now - r.created_at <= instruments.UNDO_WINDOW}
    return render_template("staff_h5/records.html", rows=rows, undoable=undoable, action=ActionForm(),
                           logout=ActionForm(), method_labels=method_labels(), kind_labels=instrument_labels(),
                           undo_minutes=int(instruments.UNDO_WINDOW.total_seconds() // 60))


@blueprint.route("/records/<int:verification_id>/undo", methods=["POST"])
@staff_required
def undo(verification_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        instruments.undo(db.session, current_user, verification_id)
    except DomainError as exc:
        db.session.rollback()
        if exc.http_status == 404:
            abort(404)
        flash(exc.message, "warning")
        return redirect(url_for("staff_h5.records"))
    flash(_("已撤销核销"), "info")
    return redirect(url_for("staff_h5.records"))
