from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from backoffice import blueprint
from backoffice.forms_auth import LoginForm
from extensions import db
from services.merchant import staff as staff_service
from web import login_limits
from web.requests import client_ip


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            staff = login_limits.sign_in(db.session, form.merchant.data, form.username.data, form.password.data,
                                         client_ip())
        except login_limits.TooManyAttempts as locked:
            flash(locked.message, "warning")
            return render_template("backoffice/login.html", form=form), 429
        if staff is None:
            flash("商户号、账号或密码不正确，或账号已停用", "warning")
        elif not staff.can("backoffice.enter"):
            flash("该角色不能进入管理后台，请使用店员页面", "warning")
        else:
            login_user(staff)
            return redirect(_safe_next() or url_for("backoffice.dashboard"))
    return render_template("backoffice/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    staff_service.end_sessions(db.session, current_user)  # every copy of this session's cookie, too
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("backoffice.login"))


def _safe_next():
    target = request.args.get("next", "")
    return target if target.startswith("/backoffice/") and not target.startswith("//") else None
