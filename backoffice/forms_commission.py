"""The 提成规则 form: per new member in yuan (kept as fen), the three rates typed as percentages like 1.5 (kept as
basis points), and the days after binding a guide earns on their members' spending."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField
from domain import commission as rules
from domain.errors import DomainError
from domain.money import format_yuan

PERCENT = {"inputmode": "decimal", "placeholder": "0"}
RATES = ("topup_bp", "card_sale_bp", "guided_spend_bp")


def _percent(field):
    try:
        return rules.parse_percent(field.data)
    except DomainError as exc:
        raise ValidationError(exc.message) from None


class CommissionRuleForm(FlaskForm):
    enabled = BooleanField(_l("开启业务员提成"))
    per_new_member = YuanField(_l("每拉新一位会员（元）"), default="0",
                               validators=[Length(max=12, message=_l("金额过长"))], render_kw={"inputmode": "decimal"},
                               description=_l("会员通过店员的入会码、推广链接或店员帮办入会时，计给该店员"))
    topup_percent = StringField(_l("充值提成（%）"), validators=[Length(max=8, message=_l("比例过长"))],
                                render_kw=PERCENT,
                                description=_l("店员带来的储值充值（店员推广链接、门店柜台充值），按充值本金计算，如 1.5"))
    card_sale_percent = StringField(_l("售卡提成（%）"), validators=[Length(max=8, message=_l("比例过长"))],
                                    render_kw=PERCENT,
                                    description=_l("店员带来的礼品卡、次卡、时长卡、权益卡和付费会员，按售价计算"))
    guided_spend_percent = StringField(_l("导购会员消费提成（%）"), validators=[Length(max=8, message=_l("比例过长"))],
                                       render_kw=PERCENT,
                                       description=_l("专属导购的会员在门店消费，按实付金额（含储值余额）计算"))
    guided_spend_days = IntegerField(_l("绑定后天数"), validators=[
        Optional(), NumberRange(0, rules.MAX_GUIDED_DAYS, _l("天数须在 0 到 3650 之间"))],
        render_kw={"inputmode": "numeric"}, description=_l("会员绑定导购后多少天内的消费计提成，如 90"))

    def validate_per_new_member(self, field):
        if (field.fen or 0) > rules.MAX_PER_NEW_MEMBER:
            raise ValidationError(_l("每拉新一位会员的提成不能超过 ¥10000"))

    def validate_topup_percent(self, field):
        self.topup_bp = _percent(field)

    def validate_card_sale_percent(self, field):
        self.card_sale_bp = _percent(field)

    def validate_guided_spend_percent(self, field):
        self.guided_spend_bp = _percent(field)

    def validate(self, extra_validators=None):
        """A guided-spend rate needs its days (checked here: a blank day field stops its own validators)."""
        valid = super().validate(extra_validators)
        days = self.guided_spend_days
        if getattr(self, "guided_spend_bp", 0) > 0 and not days.errors and not (days.data or 0) >= 1:
            days.errors = [*days.errors, _l("开启导购会员消费提成时，请填写绑定后的天数（1 到 3650 天）")]
            return False
        return valid

    def values(self):
        return {"enabled": bool(self.enabled.data), "per_new_member": self.per_new_member.fen or 0,
                "topup_bp": self.topup_bp, "card_sale_bp": self.card_sale_bp,
                "guided_spend_bp": self.guided_spend_bp, "guided_spend_days": self.guided_spend_days.data or 0}


def rule_data(row):
    return {"enabled": row.enabled, "per_new_member": format_yuan(row.per_new_member or 0),
            "topup_percent": rules.percent_text(row.topup_bp), "card_sale_percent": rules.percent_text(row.card_sale_bp),
            "guided_spend_percent": rules.percent_text(row.guided_spend_bp),
            "guided_spend_days": row.guided_spend_days or None}
