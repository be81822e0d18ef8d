"""Merchant settings: name, timezone, points expiry, channel credentials, member industry fields."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import commit, flash_domain_error, merchant_id, requires
from backoffice.forms import CredentialsForm, FieldDefForm, SettingsForm
from backoffice.ui import invalid, refuse
from domain.errors import DomainError
from extensions import db
from models import MemberFieldDef
from services.members import fields as member_fields
from services.merchant import merchants as merchant_service
from services.shared.tenancy import get_owned

TEMPLATE = "backoffice/settings.html"
FIELD_TEMPLATE = "backoffice/field_form.html"


def _settings_form(**kwargs):
    form = SettingsForm(**kwargs)
    current = current_user.merchant.timezone
    if current not in [value for value, _label in form.timezone.choices]:
        form.timezone.choices = [(current, current)] + list(form.timezone.choices)
    return form


def _settings_page(status=200, settings_form=None, credentials_form=None):
    merchant = current_user.merchant
    if settings_form is None:
        settings_form = _settings_form(formdata=None, obj=merchant)
    if credentials_form is None:
        credentials_form = CredentialsForm(formdata=None, obj=merchant)
    secrets_set = {name: bool(getattr(merchant, name)) for name in CredentialsForm.SECRET_NAMES}
    return render_template(TEMPLATE, settings_form=settings_form, credentials_form=credentials_form,
                           secrets_set=secrets_set, fields=member_fields.all_fields(db.session, merchant.id)), status


@blueprint.route("/settings", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    form = _settings_form()
    if not form.is_submitted():
        return _settings_page()
    if not form.validate():
        return _settings_page(400, settings_form=form)
    try:
        merchant_service.update_settings(
            db.session, current_user, current_user.merchant, name=form.name.data, timezone=form.timezone.data,
            points_expiry_mode=form.points_expiry_mode.data, points_expiry_days=form.points_expiry_days.data)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _settings_page(400, settings_form=form)
    commit()
    flash(_("设置已保存"), "success")
    return redirect(url_for("backoffice.settings"))


@blueprint.route("/settings/credentials", methods=["POST"])
@requires("settings.manage")
def settings_credentials():
    form = CredentialsForm()
    if not form.validate():
        return _settings_page(400, credentials_form=form)
    values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    try:
        changed = merchant_service.update_credentials(db.session, current_user, current_user.merchant, values)
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _settings_page(400, credentials_form=form)
    commit()
    flash(_("渠道凭证已保存") if changed else _("渠道凭证没有变化"), "success")
    return redirect(url_for("backoffice.settings"))


@blueprint.route("/settings/fields/new", methods=["GET", "POST"])
@requires("settings.manage")
def settings_field_new():
    return _save_field(None)


@blueprint.route("/settings/fields/<int:field_id>/edit", methods=["GET", "POST"])
@requires("settings.manage")
def settings_field_edit(field_id):
    return _save_field(get_owned(db.session, MemberFieldDef, merchant_id(), field_id))


def _save_field(field):
    form = FieldDefForm()
    if field is not None:
        form.key.validators = []  # the key of an existing field never changes
    if not form.is_submitted():
        if field is not None:
            form.process(obj=field)
            form.options_text.data = ",".join(field.options or [])
        return render_template(FIELD_TEMPLATE, form=form, field=field)
    if not form.validate():
        return invalid(FIELD_TEMPLATE, form=form, field=field)
    try:
        member_fields.save_field(
            db.session, current_user, field, key=form.key.data if field is None else field.key,
            label=form.label.data, field_type=form.field_type.data, options_text=form.options_text.data,
            required=form.required.data, position=form.position.data or 0, active=form.active.data)
    except DomainError as exc:
        return refuse(exc, FIELD_TEMPLATE, form=form, field=field)
    commit()
    flash(_("会员字段已保存"), "success")
    return redirect(url_for("backoffice.settings") + "#fields")
