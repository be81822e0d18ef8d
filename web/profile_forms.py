"""Member details as forms, shared by the member's own pages (claim, profile) and the staff page's assisted join
(帮顾客办理): name, gender and birthday, and one field per industry field the merchant defined (会员资料)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from domain.errors import DomainError
from domain.phone import normalise_mobile
from models.member import GENDER_LABELS

FIELD_PREFIX = "f_"
GENDER_CHOICES = [("unknown", _l("保密")), ("male", GENDER_LABELS["male"]), ("female", GENDER_LABELS["female"])]


def mobile_check(form, field):
    try:
        field.data = normalise_mobile(field.data)
    except DomainError as exc:
        raise ValidationError(exc.message) from None


def birthday_check(form, field):
    if field.data is not None and (field.data > date.today() or field.data.year < 1900):
        raise ValidationError(_l("生日不正确"))


class ProfileFields:
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=60, message=_l("姓名不能超过 60 个字"))],
                       render_kw={"autocomplete": "name", "maxlength": 60})
    gender = RadioField(_l("性别"), choices=GENDER_CHOICES, default="unknown")
    birthday = DateField(_l("生日"), validators=[Optional(), birthday_check], format="%Y-%m-%d")


def with_industry_fields(form_class, field_defs, **kwargs):
    """An instance of form_class with one extra field per active industry field (named f_<key>)."""

    class Form(form_class):
        pass

    for definition in field_defs:
        setattr(Form, FIELD_PREFIX + definition.key, _field_for(definition))
    form = Form(**kwargs)
    form.industry_fields = [form[FIELD_PREFIX + d.key] for d in field_defs]
    return form


def industry_values(form, field_defs):
    return {d.key: _value(form[FIELD_PREFIX + d.key].data) for d in field_defs}


def fill_industry(form, field_defs, values):
    for d in field_defs:
        value = (values or {}).get(d.key)
        if d.field_type == "boolean" and isinstance(value, bool):
            value = "1" if value else "0"
        form[FIELD_PREFIX + d.key].data = "" if value is None else str(value)


def attach_errors(form, exc):
    """Put a DomainError about industry fields next to the fields it names; True if it named any."""
    named = False
    for key, message in (exc.details.get("fields") or {}).items():
        if FIELD_PREFIX + key in form:
            form[FIELD_PREFIX + key].errors = list(form[FIELD_PREFIX + key].errors or []) + [message]
            named = True
    return named


def _value(data):
    return data.strip() if isinstance(data, str) else data


def _field_for(d):
    required = [DataRequired(message=_l("请填写%(label)s", label=d.label))] if d.required else [Optional()]
    if d.field_type == "select":
        return SelectField(d.label, choices=[("", _l("请选择"))] + [(o, o) for o in d.options], validators=required)
    if d.field_type == "boolean":
        return SelectField(d.label, choices=[("", _l("请选择")), ("1", _l("是")), ("0", _l("否"))], validators=required)
    if d.field_type == "date":
        return StringField(d.label, validators=required + [
            Regexp(r"^\d{4}-\d{2}-\d{2}$", message=_l("日期格式应为 YYYY-MM-DD"))], render_kw={"type": "date"})
    if d.field_type == "number":
        return StringField(d.label, validators=required + [Length(max=30)], render_kw={"inputmode": "decimal"})
    return StringField(d.label, validators=required + [
        Length(max=200, message=_l("%(label)s不能超过 200 个字符", label=d.label))], render_kw={"maxlength": 200})
