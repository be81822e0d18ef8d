"""Forms of the physical member card stock screen (实体卡): a new batch, cards handed to a store, one card handed
out or taken back."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from backoffice.forms import optional_int
from domain import card_stock as rules


def strip(value):
    return value.strip() if isinstance(value, str) else value


class BatchForm(FlaskForm):
    name = StringField(_l("批次名称"), validators=[
        DataRequired(_l("请填写批次名称")), Length(max=rules.MAX_NAME, message=_l("批次名称不能超过 40 个字"))],
        filters=[strip], render_kw={"placeholder": _l("如：2025 春季会员卡")})
    quantity = IntegerField(_l("制卡数量"), validators=[
        InputRequired(_l("请填写制卡数量")),
        NumberRange(1, rules.MAX_BATCH, _l("制卡数量须在 1 到 %(n)s 张之间", n=f"{rules.MAX_BATCH:,}"))])
    prefix = StringField(_l("卡号前缀"), validators=[
        Optional(), Length(max=rules.MAX_PREFIX, message=_l("卡号前缀不能超过 8 位")),
        Regexp(r"^[A-Za-z0-9]*$", message=_l("卡号前缀只能是字母或数字"))],
        filters=[strip], render_kw={"placeholder": _l("可不填，如 VIP"), "autocapitalize": "characters"})
    with_track = BooleanField(_l("磁条卡（生成磁条号）"), default=False)
    with_barcode = BooleanField(_l("条码（生成 EAN-13 条码号）"), default=True)
    with_pin = BooleanField(_l("卡密码（6 位，发卡时核对）"), default=False)


class IssueStoreForm(FlaskForm):
    store_id = SelectField(_l("门店"), coerce=optional_int, validators=[DataRequired(_l("请选择门店"))])
    count = IntegerField(_l("张数"), validators=[
        InputRequired(_l("请填写张数")),
        NumberRange(1, rules.MAX_BATCH, _l("张数须在 1 到 %(n)s 之间", n=f"{rules.MAX_BATCH:,}"))])

    def for_stores(self, choices):
        self.store_id.choices = [("", _l("请选择门店"))] + list(choices)
        return self


class CardIssueForm(FlaskForm):
    """One card handed out without binding: to a store, or (no store) to a person who binds it later."""

    store_id = SelectField(_l("门店"), coerce=optional_int)

    def for_stores(self, choices):
        self.store_id.choices = [("", _l("不指定门店"))] + list(choices)
        return self


class CardActionForm(FlaskForm):
    """A confirm button (take a card back)."""
