"""收银设置 forms: sharing rules, points deduction, 随机立减, earning and referral shares; one 多倍积分日.

Also the sentences the page shows under each section, so the merchant reads what a setting does to a real
payment before saving it (the same domain functions the till uses compute the numbers).
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField, tenths_from_text, tenths_text
from domain import earning
from domain.money import format_yuan

WHOLE = {"inputmode": "numeric"}
SETTING_NAMES = ("level_with_coupons", "level_with_points", "coupons_with_points", "multiple_coupons",
                 "points_per_yuan", "points_max_percent", "earn_base", "earn_per_yuan", "multipliers_compound",
                 "referral_levels", "referral_percent", "staff_add_points", "staff_deduct_points")


class CheckoutSettingsForm(FlaskForm):
    level_with_coupons = BooleanField(_l("会员等级折扣与优惠券同享"))
    level_with_points = BooleanField(_l("会员等级折扣与积分抵扣同享"))
    coupons_with_points = BooleanField(_l("优惠券与积分抵扣同享"))
    multiple_coupons = BooleanField(_l("一笔消费可用多张优惠券"))
    points_per_yuan = IntegerField(_l("多少积分抵 ¥1"), validators=[
        Optional(), NumberRange(1, 100000, message=_l("积分抵扣比例须在 1 到 100000 之间"))], render_kw=WHOLE,
        description=_l("留空表示不开启积分抵扣，例如 100 表示 100 积分抵 ¥1"))
    points_max_percent = IntegerField(_l("最多抵扣订单的 %"), default=50, validators=[
        InputRequired(_l("请填写积分最多抵扣的比例")), NumberRange(0, 100, message=_l("比例须在 0 到 100 之间"))],
        render_kw=WHOLE)
    random_min = YuanField(_l("随机立减最低（元）"), default="0", validators=[Length(max=12, message=_l("金额过长"))])
    random_max = YuanField(_l("随机立减最高（元）"), default="0", validators=[Length(max=12, message=_l("金额过长"))],
                           description=_l("两项都填 0 表示不开启随机立减，最高 ¥1000"))
    earn_base = SelectField(_l("积分计算基数"), choices=[(k, v) for k, v in earning.EARN_BASE_LABELS.items()],
                            description=_l("实付金额：扣除折扣、积分和优惠券后实际支付的金额（含余额）"))
    earn_per_yuan = IntegerField(_l("每 ¥1 得积分"), default=1, validators=[
        InputRequired(_l("请填写每 ¥1 得多少积分，不送积分填 0")),
        NumberRange(0, 1000, message=_l("每 ¥1 积分须在 0 到 1000 之间"))], render_kw=WHOLE)
    multipliers_compound = BooleanField(_l("等级、多倍积分日、权益卡倍数叠加（相乘）"),
                                        description=_l("不叠加时取其中最高的倍数"))
    referral_levels = SelectField(_l("推荐分成层级"), coerce=int, default=0,
                                  choices=[(0, _l("不开启"))] + [(n, f"{n} 级") for n in range(1, 6)])
    referral_percent = IntegerField(_l("每级分成 %"), default=10, validators=[
        InputRequired(_l("请填写每级分成比例")), NumberRange(0, 100, message=_l("分成比例须在 0 到 100 之间"))],
        render_kw=WHOLE, description=_l("每级推荐人获得会员本次所得积分的百分比"))
    staff_add_points = BooleanField(_l("店员可手动增加积分"),
                                    description=_l("开启后，店长、运营和收银员可在店员端会员页为会员增加积分"))
    staff_deduct_points = BooleanField(_l("店员可手动扣减积分"),
                                       description=_l("开启后，店长、运营和收银员可在店员端会员页扣减会员积分（不会扣成负数）"))

    def validate_random_max(self, field):
        low, high = self.random_min.fen or 0, field.fen or 0
        if high < low:
            raise ValidationError(_l("最高金额不能低于最低金额"))
        if high > 100000:
            raise ValidationError(_l("随机立减最高不能超过 ¥1000"))

    def values(self):
        return {"level_with_coupons": bool(self.level_with_coupons.data),
                "level_with_points": bool(self.level_with_points.data),
                "coupons_with_points": bool(self.coupons_with_points.data),
                "multiple_coupons": bool(self.multiple_coupons.data), "points_per_yuan": self.points_per_yuan.data,
                "points_max_percent": self.points_max_percent.data, "random_min": self.random_min.fen or 0,
                "random_max": self.random_max.fen or 0, "earn_base": self.earn_base.data,
                "earn_per_yuan": self.earn_per_yuan.data, "multipliers_compound": bool(self.multipliers_compound.data),
                "referral_levels": self.referral_levels.data, "referral_percent": self.referral_percent.data,
                "staff_add_points": bool(self.staff_add_points.data),
                "staff_deduct_points": bool(self.staff_deduct_points.data)}


def settings_data(row):
    data = {name: getattr(row, name) for name in SETTING_NAMES}
    data.update(random_min=format_yuan(row.random_min), random_max=format_yuan(row.random_max))
    return data


class MultiplierDayForm(FlaskForm):
    label = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称，例如 国庆 或 周三会员日")),
                                              Length(max=40, message=_l("名称不能超过 40 个字"))])
    kind = SelectField(_l("类型"), choices=[("range", _l("日期范围（节假日）")), ("weekday", _l("每周固定一天"))])
    starts_on = DateField(_l("开始日期"), validators=[Optional()])
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    weekday = SelectField(_l("每周"), coerce=int, default=2,
                          choices=list(enumerate(earning.WEEKDAY_LABELS)))
    multiplier = StringField(_l("积分倍数"), default="2", validators=[DataRequired(_l("请填写积分倍数"))],
                             render_kw={"inputmode": "decimal"}, description=_l("例如 2 表示双倍积分，最多 10 倍"))
    active = BooleanField(_l("启用"), default=True)

    multiplier_tenths = None

    def validate_multiplier(self, field):
        self.multiplier_tenths = tenths_from_text(field.data, 11, 100, _l("倍数须大于 1 倍，最多 10 倍，最多一位小数"))

    def validate(self, extra_validators=None):
        """A date range needs both dates; checked here because Optional() stops a blank field's own validators."""
        valid = super().validate(extra_validators)
        if self.kind.data == "range" and (self.starts_on.data is None or self.ends_on.data is None) \
                and not (self.starts_on.errors or self.ends_on.errors):
            self.starts_on.errors = [*self.starts_on.errors, _l("请填写开始和结束日期")]
            valid = False
        return valid

    def values(self):
        weekly = self.kind.data == "weekday"
        return {"label": self.label.data, "multiplier_tenths": self.multiplier_tenths,
                "starts_on": None if weekly else self.starts_on.data, "ends_on": None if weekly else self.ends_on.data,
                "weekday": self.weekday.data if weekly else None, "active": bool(self.active.data)}


def day_data(row):
    return {"label": row.label, "kind": "weekday" if row.weekday is not None else "range",
            "starts_on": row.starts_on, "ends_on": row.ends_on,
            "weekday": row.weekday if row.weekday is not None else 2,
            "multiplier": tenths_text(row.multiplier_tenths), "active": row.active}


# --- previews -------------------------------------------------------------------------------------------

def sharing_preview(row):
    """What may be combined in one payment; anything not listed is the best single choice for the member."""
    pairs = [(row.level_with_coupons, "等级折扣+优惠券"), (row.level_with_points, "等级折扣+积分抵扣"),
             (row.coupons_with_points, "优惠券+积分抵扣"), (row.multiple_coupons, "多张优惠券")]
    allowed = [label for on, label in pairs if on]
    if not allowed:
        return "等级折扣、优惠券、积分抵扣互不同享，收银时自动为会员选最省钱的一种，收银员也可改选。"
    return f"可同享：{'、'.join(allowed)}；其余组合只取其一，收银时自动为会员选最省钱的组合。"


def deduction_preview(row):
    if not row.points_per_yuan:
        return "未开启积分抵扣。"
    cap = 10000 * row.points_max_percent // 100
    return (f"{row.points_per_yuan} 积分抵 ¥1，最多抵扣订单的 {row.points_max_percent}%："
            f"¥100 的订单最多用 {cap // 100 * row.points_per_yuan} 积分抵 ¥{format_yuan(cap)}。")


def random_preview(row):
    if not row.random_max:
        return "未开启随机立减。"
    return f"每笔消费随机立减 ¥{format_yuan(row.random_min)} 至 ¥{format_yuan(row.random_max)}（不超过应付金额）。"


def earning_preview(row, days, level=None):
    """Two examples: an ordinary day, and the first 多倍积分日 with the level that multiplies most."""
    name, tenths = (level.name, level.points_multiplier_tenths) if level is not None else ("", 10)
    base = f"按{earning.EARN_BASE_LABELS[row.earn_base]}计，"
    per_yuan, compound = row.earn_per_yuan, row.multipliers_compound
    lines = [base + earning.preview(amount_fen=10000, earn_per_yuan=per_yuan, compound=False)]
    if days or tenths != 10:
        lines.append(earning.preview(amount_fen=10000, earn_per_yuan=per_yuan, compound=compound, level_name=name,
                                     level_tenths=tenths, day=days[0] if days else None))
    return lines
