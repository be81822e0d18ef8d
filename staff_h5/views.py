import functools

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from backoffice.common import client_ip, commit, new_idempotency_key
from domain import coupons as coupon_rules
from domain.clock import local_midnight_utc, local_today, now_utc
from domain.errors import DomainError, NotFound
from domain.money import parse_yuan
from extensions import db
from models import Store, Verification
from services import coupons, instruments
from services import staff as staff_service
from staff_h5 import blueprint, limits
from staff_h5.forms import ActionForm, LoginForm, LookupForm, StoreForm, VerifyForm

STORE_KEY = "staff_store_id"
METHOD_LABELS = {"scan": "扫码", "manual": "手动输入", "api": "接口"}


def _stores_for(staff):
    """The stores where this staff member may work: their own for store-bound roles, else all active ones."""
    if staff.is_store_bound:
        return [s for s in staff.stores if s.active]
    return list(db.session.scalars(select(Store).where(Store.merchant_id == staff.merchant_id, Store.active)
                                   .order_by(Store.id)))


def _current_store():
    store_id = session.get(STORE_KEY)
    if store_id is None:
        return None
    return next((s for s in _stores_for(current_user) if s.id == store_id), None)


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
        staff = staff_service.authenticate(db.session, form.merchant.data, form.username.data, form.password.data)
        if staff is None:
            flash("商户号、账号或密码不正确，或账号已停用", "warning")
        else:
            commit()
            login_user(staff)
            session.pop(STORE_KEY, None)
            return redirect(url_for("staff_h5.choose_store"))
    return render_template("staff_h5/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        session.pop(STORE_KEY, None)
        flash("已退出登录", "info")
    return redirect(url_for("staff_h5.login"))


@blueprint.route("/store", methods=["GET", "POST"])
def choose_store():
    if not current_user.is_authenticated:
        return redirect(url_for("staff_h5.login"))
    stores = _stores_for(current_user)
    if not stores:
        return render_template("staff_h5/message.html", title="没有可用门店",
                               text="您的账号没有可工作的门店，请联系管理员。", logout=ActionForm()), 403
    form = StoreForm()
    form.store_id.choices = [(s.id, s.name) for s in stores]
    if len(stores) == 1 and request.method == "GET":
        session[STORE_KEY] = stores[0].id
        return redirect(url_for("staff_h5.verify_page"))
    if form.validate_on_submit():
        session[STORE_KEY] = form.store_id.data
        return redirect(url_for("staff_h5.verify_page"))
    if request.method == "GET" and session.get(STORE_KEY):
        form.store_id.data = session[STORE_KEY]
    return render_template("staff_h5/store.html", form=form, logout=ActionForm())


@blueprint.route("/")
@staff_required
def verify_page():
    return render_template("staff_h5/verify.html", form=LookupForm(), logout=ActionForm())


@blueprint.route("/lookup", methods=["POST"])
@staff_required
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("staff_h5/verify.html", form=form, logout=ActionForm()), 400
    if limits.is_blocked(db.session, current_user, g.device_id):
        return _too_many(form)
    try:
        code = coupons.find_code(db.session, current_user.merchant_id, form.code.data)
    except DomainError as exc:
        db.session.rollback()
        limits.record_failure(db.session, current_user, g.device_id, form.code.data, ip=client_ip())
        commit()
        return render_template("staff_h5/verify.html", form=form, error=exc.message, logout=ActionForm()), \
            exc.http_status
    reason = coupons.check_usable(db.session, code, g.store.id)
    confirm = None
    if reason is None:
        confirm = VerifyForm(formdata=None, code=code.code, key=new_idempotency_key("verify"))
    return render_template("staff_h5/lookup.html", code=code, reason=reason, confirm=confirm,
                           rules=coupon_rules, logout=ActionForm())


def _too_many(form):
    message = f"查询失败次数过多（{limits.WINDOW.seconds // 60} 分钟内 {limits.MAX_FAILURES} 次），请稍后再试"
    return render_template("staff_h5/verify.html", form=form, error=message, logout=ActionForm()), 429


@blueprint.route("/verify", methods=["POST"])
@staff_required
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    if limits.is_blocked(db.session, current_user, g.device_id):  # /verify must not be a side door for guessing
        return _too_many(LookupForm(formdata=None))
    try:
        amount = parse_yuan(form.amount.data) if (form.amount.data or "").strip() else 0
        record = coupons.verify(db.session, current_user, form.code.data, store_id=g.store.id, method="manual",
                                key=form.key.data, amount_received=amount)
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            limits.record_failure(db.session, current_user, g.device_id, form.code.data, ip=client_ip())
            commit()
        return render_template("staff_h5/message.html", title="未能核销", text=exc.message, icon="warn",
                               logout=ActionForm()), exc.http_status
    commit()
    return render_template("staff_h5/message.html", title="核销成功", icon="success",
                           text=f"{record.instrument_name} 已在 {g.store.name} 核销", logout=ActionForm())


@blueprint.route("/records")
@staff_required
def records():
    tz = current_user.merchant.timezone
    since = local_midnight_utc(local_today(tz), tz)
    rows = db.session.scalars(
        select(Verification).where(Verification.merchant_id == current_user.merchant_id,
                                   Verification.staff_id == current_user.id, Verification.created_at >= since)
        .order_by(Verification.created_at.desc())).all()
    now = now_utc()
    undoable = {r.id for r in rows if r.undone_at is None and r.coupon_code_id and now - r.created_at <= instruments.UNDO_WINDOW}
    return render_template("staff_h5/records.html", rows=rows, undoable=undoable, action=ActionForm(),
                           logout=ActionForm(), method_labels=METHOD_LABELS,
                           undo_minutes=int(instruments.UNDO_WINDOW.total_seconds() // 60))


@blueprint.route("/records/<int:verification_id>/undo", methods=["POST"])
@staff_required
def undo(verification_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        coupons.undo(db.session, current_user, verification_id)
    except DomainError as exc:
        db.session.rollback()
        if exc.http_status == 404:
            abort(404)
        flash(exc.message, "warning")
        return redirect(url_for("staff_h5.records"))
    commit()
    flash("已撤销核销", "info")
    return redirect(url_for("staff_h5.records"))
