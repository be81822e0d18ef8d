"""Back-office forms for 招募推广: the invitation SMS (phone numbers, the body, the key minted when it is shown).
The SMS rules (70 characters with signature, link and 回T退订, sensitive words, quiet hours, numbers) are the
service's (services/recruitment/invitations.py): the form only shapes the values."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from services.recruitment.invitations import MAX_NUMBERS


class SmsInviteForm(FlaskForm):
    mobiles = TextAreaField(_l("手机号"), description=_l("每行一个，一次最多 %(n)s 个", n=MAX_NUMBERS), validators=[
        DataRequired(_l("请填写要邀请的手机号，每行一个")),
        Length(max=MAX_NUMBERS * 40, message=_l("手机号太多，一次最多 %(n)s 个", n=MAX_NUMBERS))])
    body = TextAreaField(_l("短信正文"), validators=[DataRequired(_l("请填写短信内容")),
                                                 Length(max=70, message=_l("短信正文不能超过 70 个字"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")), Length(max=100)])
