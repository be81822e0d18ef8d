"""Back-office form for a paid membership plan (付费会员): the benefit card form (backoffice/forms_benefit_cards.py)
with its own wording, and the two levels a plan gives and returns to."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backoffice.forms import YuanField
from backoffice.forms_benefit_cards import BenefitCardForm, RefundForm, template_data

NO_LEVEL = ""


class MembershipPlanForm(BenefitCardForm):
    title = StringField(_l("方案名称"), validators=[DataRequired(_l("请填写方案名称")),
                                                 Length(max=40, message=_l("方案名称不能超过 40 个字"))],
                        description=_l("会员看到的名称，例如 年度会员"))
    price = YuanField(_l("价格（元）"), description=_l("每次开通或续费的价格，例如 99"))
    valid_days = IntegerField(_l("有效天数"), validators=[Optional()],
                              description=_l("每次开通或续费的天数，例如 365；到期前续费在原有效期后顺延"))
    # The choices are this merchant's levels (setup); the value is checked against them here, in Chinese.
    membership_level_id = SelectField(_l("开通后等级"), validate_choice=False,
                                      description=_l("开通期间会员所在的等级；会员自己已达到更高等级的保持不变"))
    after_expiry_level_id = SelectField(_l("过期后身份"), validate_choice=False,
                                        description=_l("到期或退款后会员回到的等级；不选则按累计消费和成长值重新评定，"
                                                       "不会低于会员自己已达到的等级"))

    def setup(self, levels):
        choices = [(str(level.id), level.name) for level in levels]
        self.membership_level_id.choices = [(NO_LEVEL, _l("不设等级"))] + choices
        self.after_expiry_level_id.choices = [(NO_LEVEL, _l("按消费和成长值评定"))] + choices
        return self

    def validate_membership_level_id(self, field):
        _check_choice(field)

    def validate_after_expiry_level_id(self, field):
        _check_choice(field)

    def values(self, gift_pack):
        """The keyword arguments for services.cards.membership_plans.save_plan."""
        return {**super().values(gift_pack), "membership_level_id": _level_id(self.membership_level_id.data),
                "after_expiry_level_id": _level_id(self.after_expiry_level_id.data)}


def _check_choice(field):
    if (field.data or NO_LEVEL) not in {value for value, _label in field.choices}:
        raise ValidationError(_l("请选择列表中的等级"))


def _level_id(value):
    return int(value) if value and value != NO_LEVEL else None


def plan_data(plan):
    """A saved plan as the form shows it."""
    return {**template_data(plan), "membership_level_id": str(plan.membership_level_id or NO_LEVEL),
            "after_expiry_level_id": str(plan.after_expiry_level_id or NO_LEVEL)}


class MembershipRefundForm(RefundForm):
    """The benefit card refund (services/cards/benefit_refunds.py) in the words of membership."""

    mode = RadioField(_l("退出方式"), choices=[("money", _l("退出并退款")), ("no_money", _l("退出不退款"))],
                      default="no_money")
    reason = StringField(_l("原因"), validators=[Length(max=200, message=_l("原因不能超过 200 个字"))])
