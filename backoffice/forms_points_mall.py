"""The back office's points mall forms: a gift with one points price per member level, and the exchange filter."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from domain import points_mall as rules


class GiftForm(FlaskForm):
    number = StringField(_l("礼品编号"), validators=[DataRequired(_l("请填写礼品编号")),
                                                 Length(max=rules.MAX_NUMBER, message=_l("编号不能超过 20 字"))])
    name = StringField(_l("礼品名称"), validators=[DataRequired(_l("请填写礼品名称")),
                                               Length(max=rules.MAX_NAME, message=_l("名称不能超过 40 字"))])
    description = TextAreaField(_l("礼品说明"), validators=[Length(max=rules.MAX_DESCRIPTION,
                                                                  message=_l("说明不能超过 500 字"))])
    card = SelectField(_l("礼品类型"), choices=[("", "")], validators=[Optional()],
                       description=_l("选择一张卡时，会员兑换后卡直接放入卡包，无需到店领取"))
    photo = FileField(_l("礼品图片"), validators=[FileAllowed(["jpg", "jpeg", "png"], _l("图片须为 JPG 或 PNG"))],
                      description=_l("JPG 或 PNG，不超过 2 MB；不选则保留原图"))
    stock = IntegerField(_l("库存"), validators=[Optional(),
                                               NumberRange(min=0, max=rules.MAX_STOCK,
                                                           message=_l("库存须在 0 到 1000000 之间"))], default=0)
    per_member_limit = IntegerField(_l("每人限兑"), validators=[Optional(), NumberRange(
        min=0, max=rules.MAX_PER_MEMBER, message=_l("每人限兑须在 0 到 1000 之间"))], default=0,
        description=_l("0 表示不限"))
    pickup_days = IntegerField(_l("领取期限（天）"), validators=[Optional(), NumberRange(
        min=0, max=3650, message=_l("领取期限须在 0 到 3650 天之间"))], default=30,
        description=_l("兑换后多少天内到店领取，过期自动退回积分；0 表示不限"))
    starts_on = DateField(_l("开始日期"), validators=[Optional()])
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    active = BooleanField(_l("上架"), default=True)
    points_names = ()  # one IntegerField per level, added by gift_form()

    def points_prices(self):
        return {str(name.removeprefix("points_")): self[name].data or 0 for name in self.points_names}


def gift_form(levels, **kwargs):
    """The gift form with one points-price field per level of the merchant (0 or blank: may not exchange)."""
    fields = {f"points_{level.id}": IntegerField(level.name, validators=[Optional(), NumberRange(
        min=0, max=rules.MAX_POINTS_PRICE, message=_l("积分须为 0 到 1000 万之间的整数"))]) for level in levels}
    form_class = type("GiftLevelForm", (GiftForm,), {**fields, "points_names": tuple(fields)})
    return form_class(**kwargs)


class ExchangeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("状态"), choices=[("", _l("全部"))] + [(s, _l(rules.STATE_LABELS[s])) for s in rules.STATES],
                        validators=[Optional()])
    gift_id = SelectField(_l("礼品"), coerce=lambda v: int(v) if str(v).isdigit() and len(str(v)) < 10 else 0,
                          validators=[Optional()])
    mobile = StringField(_l("手机号"), validators=[Optional(), Length(max=20)])
    day_from = DateField(_l("开始日期"), validators=[Optional()])
    day_until = DateField(_l("结束日期"), validators=[Optional()])
