"""Back-office forms for channel credentials: the Alipay and WeChat Pay form (the official account's form is in
forms_wechat), and showing a refused credential at its field.

The shape rules are domain.credentials, applied by the service on save (services.merchant.merchants), so the CLI
and every other path get the same refusal; the form only places the service's reasons next to the fields.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from domain.errors import DomainError


class CredentialsForm(FlaskForm):
    alipay_app_id = StringField(_l("支付宝 AppID"), validators=[
        Optional(), Length(max=64, message=_l("不能超过 64 个字符"))], render_kw={"inputmode": "numeric"})
    alipay_private_key = PasswordField(_l("应用私钥"), validators=[
        Optional(), Length(max=4000, message=_l("不能超过 4000 个字符"))])
    alipay_public_key = TextAreaField(_l("支付宝公钥"), validators=[
        Optional(), Length(max=4000, message=_l("不能超过 4000 个字符"))])
    wechat_pay_mch_id = StringField(_l("微信支付商户号"), validators=[
        Optional(), Length(max=12, message=_l("不能超过 12 个字符"))], render_kw={"inputmode": "numeric"})
    wechat_pay_api_key = PasswordField(_l("API 密钥"), validators=[
        Optional(), Length(max=32, message=_l("不能超过 32 个字符"))],
        description=_l("微信支付商户平台“API 安全”中设置的 32 位 API 密钥（v2）"))

    SECRET_NAMES = ("alipay_private_key", "wechat_pay_api_key")


def saving_credentials(form, save):
    """Run `save()`; when the service refuses credentials, put each reason under its field, then let the refusal
    go on to form_page (which undoes everything and shows the form again)."""
    try:
        return save()
    except DomainError as exc:
        for name, reason in (exc.details.get("fields") or {}).items():
            if name in form:
                form[name].errors = list(form[name].errors or []) + [reason]
        raise
