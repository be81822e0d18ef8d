"""H5 forms: claiming the card (phone, SMS code, profile, industry fields) and editing the profile. The member
details and industry fields are web/profile_forms.py's, which the staff page's assisted join shares."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from web.profile_forms import (  # noqa: F401  (the claim and profile views import them from here)
    ProfileFields, attach_errors, fill_industry, industry_values, mobile_check, with_industry_fields,
)


class ClaimForm(ProfileFields, FlaskForm):
    mobile = StringField(_l("手机号"), validators=[DataRequired(_l("请填写手机号")), Length(max=20), mobile_check],
                         render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20})
    code = StringField(_l("验证码"), validators=[Optional(),
                                                 Regexp(r"^[0-9]{6}$", message=_l("请输入 6 位数字验证码"))],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6})


class ProfileForm(ProfileFields, FlaskForm):
    marketing_sms = BooleanField(_l("接收营销短信"))
