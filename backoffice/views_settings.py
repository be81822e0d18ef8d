"""Merchant settings: name, timezone, points expiry, channel credentials, member industry fields."""
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms import FieldDefForm, SettingsForm
from backoffice.forms_channels import CredentialsForm, saving_credentials
from backoffice.ui import form_page
from extensions import db
from models import MemberFieldDef
from services.members import fields as member_fields
from services.merchant import merchants as merchant_service
from services.shared.tenancy import get_owned

TEMPLATE = "backoffice/merchant/settings.html"
FIELD_TEMPLATE = "backoffice/members/field_form.html"


def _settings_form(**kwargs):
    form = SettingsForm(**kwargs)
    current = current_user.merchant.timezone
    if current not in [value for value, _label in form.timezone.choices]:
        form.timezone.choices = [(current, current)] + list(form.timezone.choices)
    return form


def _settings_context(settings_form=None, credentials_form=None):
    merchant = current_user.merchant
    if settings_form is None:
        settings_form = _settings_form(formdata=None, obj=merchant)
    if credentials_form is None:
        credentials_form = CredentialsForm(formdata=None, obj=merchant)
    secrets_set = {name: bool(getattr(merchant, name)) for name in CredentialsForm.SECRET_NAMES}
    return dict(settings_form=settings_form, credentials_form=credentials_form, secrets_set=secrets_set,
                fields=member_fields.all_fields(db.session, merchant.id))


@blueprint.route("/settings", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    form = _settings_form()
    context = _settings_context(settings_form=form if form.is_submitted() else None)
    return form_page(TEMPLATE, context, lambda: merchant_service.update_settings(
        db.session, current_user, current_user.merchant, name=form.name.data, timezone=form.timezone.data,
        points_expiry_mode=form.points_expiry_mode.data, points_expiry_days=form.points_expiry_days.data),
        form=form, done=_("设置已保存"), back=url_for("backoffice.settings"))


@blueprint.route("/settings/credentials", methods=["POST"])
@requires("settings.manage")
def settings_credentials():
    form = CredentialsForm()

    def save():
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        return merchant_service.update_credentials(db.session, current_user, current_user.merchant, values)

    return form_page(TEMPLATE, lambda: _settings_context(credentials_form=form),
                     lambda: saving_credentials(form, save), form=form,
                     done=lambda changed: _("渠道凭证已保存") if changed else _("渠道凭证没有变化"),
                     back=url_for("backoffice.settings"))


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
            form.process(obj=field)
            form.options_text.data = ",".join(field.options or [])
    return form_page(FIELD_TEMPLATE, {"form": form, "field": field}, lambda: member_fields.save_field(
        db.session, current_user, field, key=form.key.data if field is None else field.key, label=form.label.data,
        field_type=form.field_type.data, options_text=form.options_text.data, required=form.required.data,
        position=form.position.data or 0, active=form.active.data),
        done=_("会员字段已保存"), back=url_for("backoffice.settings") + "#fields")
