"""Back-office forms for stored value: settings and guard rails, the enable confirmation, a top-up tier."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField
from domain import stored_value as rules
from domain.money import format_yuan

COUPON_SLOTS = range(1, rules.MAX_COUPON_KINDS + 1)
MONEY_SETTINGS = ("custom_min", "custom_max", "max_balance", "anonymous_max_face", "real_name_threshold")


def _required_yuan(field):
    if field.fen is None or field.fen <= 0:
        raise ValidationError(_l("请填写大于 0 的金额"))


class SettingsForm(FlaskForm):
    allow_custom_amount = BooleanField(_l("允许自定义充值金额"))
    custom_min = YuanField(_l("自定义金额下限（元）"))
    custom_max = YuanField(_l("自定义金额上限（元）"))
    nudge_mode = SelectField(_l("支付后充值提醒"), choices=list(rules.NUDGE_LABELS.items()),
                             description=_l("对从未充值过的会员，在支付完成后提醒充值"))
    max_balance = YuanField(_l("实名卡余额上限（元）"), description=_l("会员储值余额（含待返还的分期赠送）不得超过此金额"))
    anonymous_max_face = YuanField(_l("不记名卡面值上限（元）"), description=_l("未激活的实体礼品卡单张最高面值"))
    real_name_threshold = YuanField(_l("实名购卡金额（元）"), description=_l("单笔购买超过此金额须登记购买人实名"))

    def validate_custom_min(self, field):
        _required_yuan(field)

    def validate_custom_max(self, field):
        _required_yuan(field)

    def validate_max_balance(self, field):
        _required_yuan(field)

    def validate_anonymous_max_face(self, field):
        _required_yuan(field)

    def validate_real_name_threshold(self, field):
        _required_yuan(field)

    def values(self):
        return {"allow_custom_amount": self.allow_custom_amount.data, "nudge_mode": self.nudge_mode.data,
                **{name: self[name].fen for name in MONEY_SETTINGS}}


def settings_data(row):
    return {"allow_custom_amount": row.allow_custom_amount, "nudge_mode": row.nudge_mode,
            **{name: format_yuan(getattr(row, name)) for name in MONEY_SETTINGS}}


class EnableForm(FlaskForm):
    confirm = BooleanField(_l("我已知晓：储值开启后不能关闭"),
                           validators=[DataRequired(_l("请确认储值开启后不能关闭"))])


class TopupRuleForm(FlaskForm):
    pay_amount = YuanField(_l("充值金额（元）"))
    bonus = YuanField(_l("立即赠送（元）"))
    instalment_total = YuanField(_l("分期返还（元）"), description=_l("充值后按月返还的赠送金额，留空表示不分期"))
    instalment_months = IntegerField(_l("分期月数"), validators=[Optional(), NumberRange(
        0, rules.MAX_INSTALMENT_MONTHS, _l("分期月数须在 0 到 36 之间"))])
    points = IntegerField(_l("赠送积分"), validators=[Optional(), NumberRange(0, rules.MAX_GIFT_POINTS,
                                                                           _l("赠送积分不能为负数"))])
    growth = IntegerField(_l("赠送成长值"), description=_l("会员成长值启用后发放；目前仅保存，不向会员展示"),
                          validators=[Optional(), NumberRange(0, rules.MAX_GIFT_POINTS, _l("赠送成长值不能为负数"))])
    starts_on = DateField(_l("活动开始"), validators=[Optional()],
                          description=_l("节假日等活动期专用档位；留空为常规档位。活动期内只显示活动期档位"))
    ends_on = DateField(_l("活动结束"), validators=[Optional()])
    sort = IntegerField(_l("排序"), default=0, validators=[InputRequired(_l("请填写排序")),
                                                          NumberRange(-9999, 9999, _l("排序须在 -9999 到 9999 之间"))])
    active = BooleanField(_l("启用"), default=True)

    def validate_pay_amount(self, field):
        _required_yuan(field)

    def coupon_fields(self):
        return [(self[f"coupon_{n}"], self[f"count_{n}"]) for n in COUPON_SLOTS]

    def values(self):
        coupons = [{"template_id": pick.data, "count": count.data or 1}
                   for pick, count in self.coupon_fields() if pick.data]
        return {"pay_amount": self.pay_amount.fen, "bonus": self.bonus.fen or 0,
                "instalment_total": self.instalment_total.fen or 0,
                "instalment_months": self.instalment_months.data or 0,
                "points": self.points.data or 0, "growth": self.growth.data or 0, "coupons": coupons,
                "active": self.active.data, "sort": self.sort.data or 0, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data}


def rule_form(coupon_choices, **kwargs):
    """A tier form with five coupon slots (template pick list + count), choices being this merchant's coupons."""

    class Form(TopupRuleForm):
        pass

    choices = [(0, _l("不赠送"))] + coupon_choices
    for n in COUPON_SLOTS:
        setattr(Form, f"coupon_{n}", SelectField(_l("赠券 %(n)s", n=n), coerce=int, choices=choices, default=0))
        setattr(Form, f"count_{n}", IntegerField(_l("张数"), validators=[Optional(), NumberRange(
            1, rules.MAX_COUPON_COUNT, _l("每种优惠券赠送 1 到 10 张"))]))
    return Form(**kwargs)


def rule_data(rule):
    data = {"pay_amount": format_yuan(rule.pay_amount), "bonus": format_yuan(rule.bonus) if rule.bonus else "",
            "instalment_total": format_yuan(rule.instalment_total) if rule.instalment_total else "",
            "instalment_months": rule.instalment_months or None, "points": rule.points or None,
            "growth": rule.growth or None, "starts_on": rule.starts_on, "ends_on": rule.ends_on, "sort": rule.sort,
            "active": rule.active}
    for n, entry in zip(COUPON_SLOTS, rule.coupons):
        data[f"coupon_{n}"], data[f"count_{n}"] = entry["template_id"], entry["count"]
    return data
