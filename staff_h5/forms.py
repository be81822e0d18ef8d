from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

# A scanned QR token is longer than a printed code; this bounds both.
MAX_SCANNED = 400
METHODS = ("scan", "manual")


class LoginForm(FlaskForm):
    merchant = StringField(_l("商户号"), validators=[DataRequired(_l("请输入商户号")), Length(max=40)])
    username = StringField(_l("账号"), validators=[DataRequired(_l("请输入账号")), Length(max=40)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=128)])


class StoreForm(FlaskForm):
    store_id = RadioField(_l("当前门店"), coerce=int, validate_choice=True)


class LookupForm(FlaskForm):
    code = StringField(_l("券码"), validators=[DataRequired(_l("请输入券码或扫码")),
                                             Length(max=MAX_SCANNED, message=_l("内容过长"))])
    via = HiddenField(default="manual", validators=[Optional(), AnyOf(METHODS)])


class VerifyForm(FlaskForm):
    code = HiddenField(validators=[DataRequired(), Length(max=40)])
    key = HiddenField(validators=[DataRequired(), Length(max=100)])
    method = HiddenField(default="manual", validators=[Optional(), AnyOf(METHODS)])
    quantity = StringField(_l("使用次数"), validators=[Optional(), Length(max=6)])
    amount = StringField(_l("扣减金额"), validators=[Optional(), Length(max=20)])
    received = StringField(_l("实收金额"), validators=[Optional(), Length(max=20)])


class ActionForm(FlaskForm):
    """An empty form: the CSRF token for a button (log out, undo)."""


class CheckoutForm(FlaskForm):
    """The till, from the first screen to the confirm: the page carries what was typed, the identified member and
    the key minted with the first quote; the server re-prices every time and trusts none of it."""

    amount = StringField(_l("消费金额"), validators=[Optional(), Length(max=20, message=_l("金额过长"))])
    # Named `code` so static/staff_h5/scan.js fills it as on the verify page: a member QR, mobile or card number.
    code = StringField(_l("会员"), validators=[Optional(), Length(max=MAX_SCANNED, message=_l("内容过长"))])
    via = HiddenField(default="manual", validators=[Optional(), AnyOf(METHODS)])
    walk_in = HiddenField(validators=[Optional(), AnyOf(("1",))])
    member_id = HiddenField(validators=[Optional(), Length(max=12)])
    tender = HiddenField(validators=[Optional(), Length(max=8)])
    choice = HiddenField(validators=[Optional(), Length(max=120)])
    expected = HiddenField(validators=[Optional(), Length(max=14)])
    key = HiddenField(validators=[Optional(), Length(max=100)])
    # 微信支付 / 支付宝: the customer's payment code (staff_h5/paycode.py) and when its first charge was tried
    auth_code = StringField(_l("付款码"), validators=[Optional(), Length(max=32, message=_l("付款码过长"))])
    started = HiddenField(validators=[Optional(), Length(max=12)])
