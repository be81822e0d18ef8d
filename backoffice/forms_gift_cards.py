"""Back-office forms for gift cards: templates, issuing an electronic card, physical batches, voiding."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField, mobile_check
from domain import gift_cards as rules
from domain.errors import DomainError
from domain.money import format_yuan, parse_yuan

_THEME_LINE = re.compile(r"^(?P<label>.+?)\s+(?P<color>#[0-9A-Fa-f]{6})$")


class GiftTemplateForm(FlaskForm):
    title = StringField(_l("礼品卡名称"), validators=[DataRequired(_l("请填写礼品卡名称")),
                                                   Length(max=40, message=_l("礼品卡名称不能超过 40 个字"))])
    face_values = StringField(_l("面值（元）"), validators=[DataRequired(_l("请填写面值"))],
                              description=_l("多个面值用逗号分隔，例如 50, 100, 200"))
    themes = TextAreaField(_l("主题"), validators=[Length(max=500)],
                           description=_l("每行一个：名称 空格 颜色，例如「春节 #C0392B」"))
    activation = SelectField(_l("激活方式"), choices=[(k, v) for k, v in rules.ACTIVATION_LABELS.items()])
    valid_days = IntegerField(_l("有效天数"),
                              validators=[Optional(), NumberRange(1, 3650, _l("有效天数须在 1 到 3650 之间"))],
                              description=_l("自激活起计算，留空表示长期有效"))
    store_ids = SelectMultipleField(_l("适用门店"), coerce=int, description=_l("不选表示全部门店"))
    notes = TextAreaField(_l("使用说明"), validators=[Length(max=1000, message=_l("使用说明不能超过 1000 个字"))])
    disabled = BooleanField(_l("停止发放"))

    def validate_face_values(self, field):
        self.face_values_fen = []
        for part in re.split(r"[,，、\s]+", (field.data or "").strip()):
            if not part:
                continue
            try:
                self.face_values_fen.append(parse_yuan(part))
            except DomainError as exc:
                raise ValidationError(exc.message) from None
        if not self.face_values_fen:
            raise ValidationError(_l("请填写面值"))

    def validate_themes(self, field):
        self.theme_list = []
        for line in (field.data or "").splitlines():
            line = line.strip()
            if not line:
                continue
            match = _THEME_LINE.match(line)
            if match is None:
                raise ValidationError(_l("主题格式应为「名称 #RRGGBB」"))
            self.theme_list.append({"label": match.group("label").strip(), "color": match.group("color")})

    def values(self):
        """The keyword arguments for services.cards.gift_templates.save_template."""
        return {"title": self.title.data, "face_values": self.face_values_fen, "themes": self.theme_list,
                "activation": self.activation.data, "valid_days": self.valid_days.data,
                "store_ids": self.store_ids.data, "notes": self.notes.data, "disabled": bool(self.disabled.data)}


def template_data(template):
    return {"title": template.title, "face_values": ", ".join(format_yuan(v) for v in template.face_values or ()),
            "themes": "\n".join(f"{t['label']} {t['color']}" for t in template.themes or ()),
            "activation": template.activation, "valid_days": template.valid_days,
            "store_ids": [s.id for s in template.stores], "notes": template.notes or "", "disabled": template.disabled}


def _choices(form, template):
    form.face_value.choices = [(v, f"¥{format_yuan(v)}") for v in template.face_values or ()]
    form.theme.choices = [("", _l("默认"))] + [(t["key"], t["label"]) for t in template.themes or ()]
    return form


class IssueGiftCardForm(FlaskForm):
    mobile = StringField(_l("会员手机号"), validators=[DataRequired(_l("请填写会员手机号")), mobile_check])
    face_value = SelectField(_l("面值"), coerce=int)
    theme = SelectField(_l("主题"))
    price_paid = YuanField(_l("实收金额（元）"), description=_l("售卖时填写实收金额；留空表示赠送"))
    key = HiddenField()

    def for_template(self, template):
        return _choices(self, template)


class BatchForm(FlaskForm):
    face_value = SelectField(_l("面值"), coerce=int)
    theme = SelectField(_l("主题"))
    quantity = IntegerField(_l("数量"), validators=[
        DataRequired(_l("请填写数量")),
        NumberRange(1, rules.MAX_BATCH, _l("数量须在 1 到 %(n)s 之间", n=rules.MAX_BATCH))])

    def for_template(self, template):
        return _choices(self, template)


class VoidGiftCardForm(FlaskForm):
    reason = StringField(_l("作废原因"), validators=[Length(max=200, message=_l("作废原因不能超过 200 个字"))])
