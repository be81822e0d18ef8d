"""Forms for 积分转储值: the merchant's rate, and a conversion done by staff for a member."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class PointsRateForm(FlaskForm):
    points_per_yuan = IntegerField(_l("多少积分兑 1 元"), validators=[
        Optional(), NumberRange(min=1, max=100_000, message=_l("须为 1 到 100000"))],
        description=_l("留空表示不开通积分转储值"))


class PointsToBalanceForm(FlaskForm):
    points = IntegerField(_l("转换积分"), validators=[
        DataRequired(_l("请输入要转换的积分")), NumberRange(min=1, max=100_000_000, message=_l("积分不正确"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")), Length(max=100)])
