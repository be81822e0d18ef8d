from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    merchant = StringField("商户号", validators=[DataRequired("请输入商户号"), Length(max=40)])
    username = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
