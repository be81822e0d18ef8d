"""Sends (群发): the list with each send's figures, writing a draft, its page (the plan, a preview to one follower,
submit now or at a time, confirm a large one, cancel; the progress while it runs; the report once it ended) and
the progress as JSON for the bar. The messaging settings are in views_send_settings.py."""
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, parse_int, requires
from backoffice.forms_sends import CHANNELS, PreviewForm, SendForm, SubmitForm, send_data
from backoffice.ui import form_page
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.outreach import OPT_OUT_TAIL, SMS_MAX_CHARS, signature, sms_text
from extensions import db
from models import Audience, CouponTemplate, Send, Staff
from services.audiences import saved as saved_audiences
from services.outreach import compose, plan, previews, report, run, settings as outreach_settings
from services.shared.tenancy import get_owned, scoped

FORM = "backoffice/sends/form.html"
SHOW = "backoffice/sends/show.html"
STATUS_LABELS = {
    "draft": _l("草稿"), "awaiting_confirm": _l("待确认"), "scheduled": _l("待发送"), "running": _l("发送中"),
    "waiting": _l("等待短信时段"), "done": _l("已完成"), "cancelled": _l("已取消"), "failed": _l("失败"),
}
CHANNEL_CHOICE_LABELS = dict(CHANNELS)
PLANNED = ("draft", "awaiting_confirm")  # the plan is shown: nothing is frozen yet
LIVE = ("scheduled", "running", "waiting")  # the progress bar is shown
ENDED = ("done", "cancelled", "failed")  # the report is shown


@blueprint.route("/sends")
@requires("sends.manage")
def sends():
    page = max(parse_int(request.args.get("page"), 1), 1)
    reports, more = report.listing(db.session, merchant_id(), page)
    return render_template("backoffice/sends/list.html", reports=reports, page=page, more=more,
                           creators=_staff_names(r.send.created_by_id for r in reports), **_labels())


@blueprint.route("/sends/new", methods=["GET", "POST"])
@requires("sends.manage")
def send_new():
    return _edit(None)


@blueprint.route("/sends/<int:send_id>/edit", methods=["GET", "POST"])
@requires("sends.manage")
def send_edit(send_id):
    send = _owned(send_id)
    if send.status != "draft":
        flash(_("该群发已提交，不能再修改"), "warning")
        return redirect(url_for("backoffice.send_show", send_id=send.id))
    return _edit(send)


def _edit(send):
    mid = merchant_id()
    if request.method == "POST":
        form = SendForm()
    elif send is not None:
        form = SendForm(data=send_data(send))
    else:
        form = SendForm(data={"sms_fallback": outreach_settings.get(db.session, mid).sms_fallback})
    coupons = db.session.scalars(scoped(CouponTemplate, mid).where(CouponTemplate.active.is_(True))
                                 .order_by(CouponTemplate.id.desc())).all()
    kept = dict(send.filters or {}) if send is not None and send.audience_id is None else None
    form.setup(saved_audiences.list_audiences(db.session, mid), coupons, keep_filters=bool(kept))
    context = {"form": form, "send": send, "signature": signature(outreach_settings.signature_of(db.session, mid)),
               "tail": OPT_OUT_TAIL, "max_chars": SMS_MAX_CHARS,
               "may_build": current_user.can("audiences.manage")}

    def save():
        return compose.save_draft(db.session, current_user, send.id if send is not None else None,
                                  form.values(kept), cover_bytes=form.cover_bytes(),
                                  upload_root=current_app.config["UPLOAD_DIR"])

    return form_page(FORM, context, save, done=_("草稿已保存，请核对发送计划"),
                     back=lambda saved: url_for("backoffice.send_show", send_id=saved.id))


@blueprint.route("/sends/<int:send_id>")
@requires("sends.manage")
def send_show(send_id):
    return _show(_owned(send_id))


def _show(send, preview_form=None, submit_form=None):
    """The send's page: plan and actions for a draft, the bar while it runs, the report once it ended."""
    context = {"send": send, "names": _staff_names([send.created_by_id, send.confirmed_by_id]),
               "confirm_above": run.CONFIRM_ABOVE,
               "cancellable": send.status in run.CANCELLABLE, "planned": None, "report": None,
               "audience_name": _audience_name(send), **_labels()}
    if send.sms_body:
        context["sms_preview"] = sms_text(outreach_settings.signature_of(db.session, send.merchant_id), send.sms_body)
    if send.status in PLANNED:
        context["planned"] = plan.preview(db.session, send)
    if send.status in ENDED:
        context["report"] = report.of(db.session, merchant_id(), send.id)
    context["preview_form"] = preview_form or PreviewForm(formdata=None, data={"mobile": current_user.mobile or ""})
    context["submit_form"] = submit_form or SubmitForm(formdata=None)
    return render_template(SHOW, **context)


@blueprint.post("/sends/<int:send_id>/preview")
@requires("sends.manage")
def send_preview(send_id):
    send = _owned(send_id)
    form = PreviewForm()
    if not form.validate():
        return _show(send, preview_form=form), 400
    try:
        previews.send_preview(db.session, current_user, send.id, form.mobile.data)
    except DomainError as exc:
        return _refused(exc, send_id, preview_form=form)
    flash(_("预览已发送到 %(mobile)s 绑定的微信", mobile=form.mobile.data), "success")
    return redirect(url_for("backoffice.send_show", send_id=send.id))


@blueprint.post("/sends/<int:send_id>/submit")
@requires("sends.manage")
def send_submit(send_id):
    send = _owned(send_id)
    form = SubmitForm()
    if not form.validate():
        return _show(send, submit_form=form), 400
    try:
        send = run.submit(db.session, current_user, send.id, confirm_large=bool(form.confirm_large.data),
                          scheduled_at=form.scheduled_utc(current_user.merchant.timezone))
    except DomainError as exc:
        return _refused(exc, send_id, submit_form=form)
    if send.status == "awaiting_confirm":
        flash(_("发送对象超过 %(n)s 人，已提交店主或管理员确认", n=run.CONFIRM_ABOVE), "success")
    elif form.local_time is not None:
        flash(_("已定时发送"), "success")
    else:
        flash(_("已开始发送"), "success")
    return redirect(url_for("backoffice.send_show", send_id=send.id))


@blueprint.post("/sends/<int:send_id>/confirm")
@requires("sends.confirm")
def send_confirm(send_id):
    send = _owned(send_id)
    try:
        run.confirm(db.session, current_user, send.id)
    except DomainError as exc:
        return _refused(exc, send_id)
    flash(_("已确认发送"), "success")
    return redirect(url_for("backoffice.send_show", send_id=send.id))


@blueprint.post("/sends/<int:send_id>/cancel")
@requires("sends.manage")
def send_cancel(send_id):
    send = _owned(send_id)
    try:
        send = run.cancel(db.session, current_user, send.id)
    except DomainError as exc:
        return _refused(exc, send_id)
    flash(_("已取消，正在发送的批次结束后停止") if send.status == "running" else _("已取消"), "success")
    return redirect(url_for("backoffice.send_show", send_id=send.id))


@blueprint.route("/sends/<int:send_id>/progress.json")
@requires("sends.manage")
def send_progress(send_id):
    """What static/js/send_progress.js polls while a send runs."""
    send = _owned(send_id)
    return jsonify(status=send.status, status_label=str(STATUS_LABELS.get(send.status, send.status)),
                   progress=run.progress(send), handled=send.handled, total=send.total)


def _refused(exc, send_id, **forms):
    """A service refused the action: undo it, say why on the send's page (400); another merchant's send is a 404,
    a role that may not is a 403."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied):
        abort(403)
    flash_domain_error(exc)
    return _show(_owned(send_id), **forms), 400


def _owned(send_id):
    try:
        return get_owned(db.session, Send, merchant_id(), send_id)
    except NotFound:
        abort(404)


def _audience_name(send):
    if send.audience_id is None:
        return None
    audience = db.session.get(Audience, send.audience_id)
    return audience.name if audience is not None and audience.merchant_id == send.merchant_id else None


def _staff_names(ids):
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.name).where(
        Staff.merchant_id == merchant_id(), Staff.id.in_(wanted))).all())


def _labels():
    return {"status_labels": STATUS_LABELS, "channel_choice_labels": CHANNEL_CHOICE_LABELS,
            "channel_labels": plan.CHANNEL_LABELS, "reason_labels": plan.REASON_LABELS,
            "live_statuses": LIVE, "progress_of": run.progress}
