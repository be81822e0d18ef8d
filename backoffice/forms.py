"""Back-office forms for the merchant's set-up: stores, staff, levels, settings and member fields.

Every text field has a length limit so over-long input gets a clear message, never a database error.
Labels and messages are lazy msgids, translated when the form is rendered.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from domain import roles
from domain.errors import DomainError
from domain.money import parse_yuan
from domain.phone import normalise_mobile
from domain.points import EXPIRY_LABELS, EXPIRY_MODES
from models.member import FIELD_TYPE_LABELS, FIELD_TYPES
from domain.money import format_yuan

TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "UTC")
TIMEZONE_LABELS = {
    "Asia/Shanghai": _l("北京时间（Asia/Shanghai）"),
    "Asia/Hong_Kong": _l("香港（Asia/Hong_Kong）"),
    "Asia/Taipei": _l("台北（Asia/Taipei）"),
    "Asia/Singapore": _l("新加坡（Asia/Singapore）"),
    "Asia/Tokyo": _l("东京（Asia/Tokyo）"),
    "UTC": _l("协调世界时（UTC）"),
}


# --- shared field helpers -------------------------------------------------------------------------

def optional_int(value):
    """Coerce a select value: '' means none; anything else must be an integer."""
    if value in (None, "", "None"):
        return None
    return int(value)


class YuanField(StringField):
    """Money typed in yuan; `.fen` holds the parsed amount in fen, or None when blank."""

    fen = None

    def pre_validate(self, form):
        self.fen = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.fen = parse_yuan(text)
        except DomainError as exc:
            raise ValidationError(exc.message) from None


def tenths_from_text(text, low, high, message):
    """'9.5' -> 95: a number with at most one decimal, within [low, high] (in tenths)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise ValidationError(message) from None
    if not value.is_finite() or value.as_tuple().exponent < -1:
        raise ValidationError(message)
    tenths = int(value * 10)
    if not low <= tenths <= high:
        raise ValidationError(message)
    return tenths


def tenths_text(tenths):
    """95 -> '9.5', 100 -> '10', 15 -> '1.5'."""
    whole, part = divmod(int(tenths), 10)
    return f"{whole}.{part}" if part else str(whole)


def mobile_check(form, field):
    """An optional mainland mobile number; normalised in place when valid."""
    if field.data and field.data.strip():
        try:
            field.data = normalise_mobile(field.data)
        except DomainError as exc:
            raise ValidationError(exc.message) from None


# --- stores ---------------------------------------------------------------------------------------

class StoreForm(FlaskForm):
    name = StringField(_l("门店名称"), validators=[DataRequired(_l("请填写门店名称")),
                                                 Length(max=100, message=_l("门店名称不能超过 100 个字"))])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200, message=_l("地址不能超过 200 个字"))])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=30, message=_l("电话不能超过 30 个字符"))])
    active = BooleanField(_l("营业中"), default=True)


# --- staff ----------------------------------------------------------------------------------------

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")


class _StaffFields(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")),
                                             Length(max=60, message=_l("姓名不能超过 60 个字"))])
    mobile = StringField(_l("手机号"), validators=[Optional(), Length(max=20, message=_l("手机号不能超过 20 个字符")),
                                                mobile_check], render_kw={"inputmode": "tel"})
    role = SelectField(_l("角色"), validators=[InputRequired(_l("请选择角色"))])
    store_ids = SelectMultipleField(_l("所属门店"), coerce=int)

    def setup(self, actor, stores):
        self.role.choices = [("", _l("请选择"))] + [(r, roles.ROLE_LABELS[r]) for r in roles.ALL_ROLES
                                                   if r != roles.OWNER or actor.role == roles.OWNER]
        self.store_ids.choices = [(s.id, s.name if s.active else f"{s.name}（停用）") for s in stores]
        return self


class StaffCreateForm(_StaffFields):
    username = StringField(_l("登录账号"), validators=[
        DataRequired(_l("请填写登录账号")), Length(max=40, message=_l("登录账号不能超过 40 个字符")),
        Regexp(USERNAME_RE, message=_l("账号须为 2-40 位字母、数字、下划线、点或连字符"))])
    password = PasswordField(_l("登录密码"), validators=[
        DataRequired(_l("请设置登录密码")), Length(min=8, max=128, message=_l("密码须为 8-128 位"))])


class StaffEditForm(_StaffFields):
    active = BooleanField(_l("启用账号"), default=True)
    password = PasswordField(_l("新密码"), validators=[
        Optional(), Length(min=8, max=128, message=_l("密码须为 8-128 位"))])


# --- levels ---------------------------------------------------------------------------------------

class LevelForm(FlaskForm):
    rank = IntegerField(_l("等级序号"), validators=[InputRequired(_l("请填写等级序号")),
                                                  NumberRange(0, 1000, message=_l("等级序号须在 0 到 1000 之间"))],
                        render_kw={"inputmode": "numeric"})
    name = StringField(_l("等级名称"), validators=[DataRequired(_l("请填写等级名称")),
                                                 Length(max=40, message=_l("等级名称不能超过 40 个字"))])
    min_spend = YuanField(_l("累计消费（元）"), validators=[Length(max=20, message=_l("金额过长"))],
                          render_kw={"inputmode": "decimal"})
    min_visits = IntegerField(_l("消费次数"), validators=[
        Optional(), NumberRange(0, 1_000_000, message=_l("消费次数须在 0 到 1000000 之间"))],
        render_kw={"inputmode": "numeric"})
    min_topup = YuanField(_l("累计充值（元）"), validators=[Length(max=20, message=_l("金额过长"))],
                          render_kw={"inputmode": "decimal"})
    min_growth = IntegerField(_l("成长值"), validators=[
        Optional(), NumberRange(0, 10**12, message=_l("成长值须在 0 到 1000000000000 之间"))],
        render_kw={"inputmode": "numeric"})
    discount = StringField(_l("折扣（折）"), default="10", validators=[
        DataRequired(_l("请填写折扣，不打折填 10")), Length(max=10, message=_l("折扣格式不正确"))],
        render_kw={"inputmode": "decimal"})
    multiplier = StringField(_l("积分倍数"), default="1", validators=[
        DataRequired(_l("请填写积分倍数，不加倍填 1")), Length(max=10, message=_l("积分倍数格式不正确"))],
        render_kw={"inputmode": "decimal"})
    benefits_note = TextAreaField(_l("权益说明"), validators=[
        Optional(), Length(max=500, message=_l("权益说明不能超过 500 个字"))])

    discount_percent = None
    multiplier_tenths = None

    def validate_discount(self, field):
        self.discount_percent = tenths_from_text(field.data, 1, 100, _l("折扣须为 0.1 到 10 之间、最多一位小数的数字"))

    def validate_multiplier(self, field):
        self.multiplier_tenths = tenths_from_text(field.data, 0, 100, _l("积分倍数须为 0 到 10 之间、最多一位小数的数字"))

    def fill_from(self, level):
        self.rank.data, self.name.data = level.rank, level.name
        self.min_spend.data = format_yuan(level.min_spend) if level.min_spend is not None else ""
        self.min_visits.data = level.min_visits
        self.min_topup.data = format_yuan(level.min_topup) if level.min_topup is not None else ""
        self.min_growth.data = level.min_growth
        self.discount.data = tenths_text(level.discount_percent)
        self.multiplier.data = tenths_text(level.points_multiplier_tenths)
        self.benefits_note.data = level.benefits_note or ""


# --- settings -------------------------------------------------------------------------------------

class SettingsForm(FlaskForm):
    name = StringField(_l("商户名称"), validators=[DataRequired(_l("请填写商户名称")),
                                                 Length(max=100, message=_l("商户名称不能超过 100 个字"))])
    timezone = SelectField(_l("时区"), choices=[(tz, TIMEZONE_LABELS[tz]) for tz in TIMEZONES])
    points_expiry_mode = SelectField(_l("积分有效期"), choices=[(m, EXPIRY_LABELS[m]) for m in EXPIRY_MODES])
    points_expiry_days = IntegerField(_l("有效天数"), validators=[
        Optional(), NumberRange(1, 3650, message=_l("有效天数须在 1 到 3650 之间"))],
        render_kw={"inputmode": "numeric"})

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.points_expiry_mode.data == "days" and self.points_expiry_days.data is None \
                and not self.points_expiry_days.errors:
            self.points_expiry_days.errors.append(_l("按天数过期时请填写有效天数"))
            valid = False
        return valid


class FieldDefForm(FlaskForm):
    key = StringField(_l("字段标识"), validators=[
        DataRequired(_l("请填写字段标识")), Length(max=40, message=_l("字段标识不能超过 40 个字符")),
        Regexp(r"^[a-z][a-z0-9_]*$", message=_l("字段标识须以小写字母开头，只含小写字母、数字和下划线"))],
        render_kw={"autocapitalize": "off", "autocomplete": "off"})
    label = StringField(_l("字段名称"), validators=[DataRequired(_l("请填写字段名称")),
                                                  Length(max=40, message=_l("字段名称不能超过 40 个字"))])
    field_type = SelectField(_l("类型"), choices=[(t, FIELD_TYPE_LABELS[t]) for t in FIELD_TYPES])
    options_text = StringField(_l("选项"), validators=[Optional(), Length(max=1300, message=_l("选项内容过长"))],
                               description=_l("单选字段填写，用逗号分隔，如：美式,拿铁"))
    required = BooleanField(_l("必填"))
    position = IntegerField(_l("排序"), default=0, validators=[
        Optional(), NumberRange(0, 9999, message=_l("排序须在 0 到 9999 之间"))], render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("启用"), default=True)
