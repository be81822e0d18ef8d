"""Back-office form of the Alipay life account (生活号): on/off, and the notices it sends with their template ids."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, Regexp

TEMPLATE_FIELDS = (("points_changed", "notify_points", "tpl_points_changed"),
                   ("balance_changed", "notify_balance", "tpl_balance_changed"),
                   ("coupon_received", "notify_coupon", "tpl_coupon_received"),
                   ("level_up", "notify_level", "tpl_level_up"))


def _template_id(label):
    return StringField(label, validators=[
        Optional(), Length(max=64, message=_l("不能超过 64 个字符")),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("模板 ID 只含字母、数字、下划线或连字符"))],
        render_kw={"autocapitalize": "off", "autocomplete": "off"})


class AlipayLifeForm(FlaskForm):
    enabled = BooleanField(_l("通过支付宝生活号给只用支付宝的会员发消息"))
    notify_points = BooleanField(_l("积分变动通知"))
    tpl_points_changed = _template_id(_l("积分变动模板 ID"))
    notify_balance = BooleanField(_l("余额变动通知"))
    tpl_balance_changed = _template_id(_l("余额变动模板 ID"))
    notify_coupon = BooleanField(_l("券到账通知"))
    tpl_coupon_received = _template_id(_l("券到账模板 ID"))
    notify_level = BooleanField(_l("会员升级通知"))
    tpl_level_up = _template_id(_l("会员升级模板 ID"))

    def fill(self, settings):
        self.process(obj=settings)
        for kind, _switch, name in TEMPLATE_FIELDS:
            self[name].data = (settings.template_ids or {}).get(kind, "")
        return self

    def template_ids(self):
        return {kind: self[name].data or "" for kind, _switch, name in TEMPLATE_FIELDS}
