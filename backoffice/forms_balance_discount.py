"""The 储值折上折 rule form: balance threshold in yuan, discount in 折, an optional special period."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Optional

from backoffice.forms import YuanField, tenths_from_text, tenths_text
from domain.money import format_yuan


class BalanceDiscountForm(FlaskForm):
    min_balance = YuanField(_l("余额门槛（元）"), validators=[DataRequired(_l("请填写余额门槛"))])
    discount = StringField(_l("折扣（折）"), validators=[DataRequired(_l("请填写折扣"))],
                           description=_l("例如 8 表示 8 折，8.5 表示 8.5 折"))
    starts_on = DateField(_l("特殊时段开始"), validators=[Optional()], description=_l("留空表示日常规则"))
    ends_on = DateField(_l("特殊时段结束"), validators=[Optional()])
    active = BooleanField(_l("启用"), default=True)

    def validate_discount(self, field):
        self.discount_percent = tenths_from_text(field.data, 1, 99, _l("折扣须在 0.1 到 9.9 折之间"))

    def values(self):
        return {"min_balance": self.min_balance.fen, "discount_percent": self.discount_percent,
                "starts_on": self.starts_on.data, "ends_on": self.ends_on.data, "active": bool(self.active.data)}


def rule_data(row):
    return {"min_balance": format_yuan(row.min_balance), "discount": tenths_text(row.discount_percent),
            "starts_on": row.starts_on, "ends_on": row.ends_on, "active": row.active}
