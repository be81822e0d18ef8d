from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    merchant = StringField("商户号", validators=[DataRequired("请输入商户号"), Length(max=40)])
    username = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class StoreForm(FlaskForm):
    store_id = SelectField("当前门店", coerce=int, validate_choice=True)


class LookupForm(FlaskForm):
    code = StringField("券码", validators=[DataRequired("请输入券码"), Length(max=40)])


class VerifyForm(FlaskForm):
    code = HiddenField(validators=[DataRequired(), Length(max=40)])
    key = HiddenField(validators=[DataRequired(), Length(max=100)])
    amount = StringField("实收金额（元，可不填）", validators=[Optional(), Length(max=20)])


class ActionForm(FlaskForm):
    """An empty form: the CSRF token for a button (log out, undo)."""
