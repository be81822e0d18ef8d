"""Back-office forms for API keys: a name and the stores the key may act in."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length


class ApiKeyForm(FlaskForm):
    name = StringField(_l("密钥名称"), description=_l("例如：人民广场店收银机"), validators=[
        DataRequired(_l("请填写密钥名称")), Length(max=40, message=_l("密钥名称不能超过 40 个字"))])
    store_ids = SelectMultipleField(_l("可用门店"), coerce=int, description=_l("不选表示全部门店"))


class RevokeApiKeyForm(FlaskForm):
    """Only the CSRF token: revoking is a POST from a button."""
