"""Back-office forms for count and timed card templates, issuing one to a member, and voiding one."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField, mobile_check
from domain.cards import KIND_LABELS
from domain.money import format_yuan
from domain.timed_cards import AFTER_DAYS, FIRST_USE, MAX_TIERS, START_MODE_LABELS, STANDARD_TIERS

KIND_CHOICES = [("count", KIND_LABELS["count"]), ("timed", KIND_LABELS["timed"])]


class TierForm(Form):
    """One row of a timed card's price list; a row left blank is ignored."""

    key = HiddenField()
    title = StringField(_l("名称"), validators=[Length(max=20, message=_l("档位名称不能超过 20 个字"))])
    days = IntegerField(_l("天数"), validators=[Optional(), NumberRange(min=1, max=3660, message=_l("天数须在 1 到 3660 之间"))])
    price = YuanField(_l("价格（元）"))

    @property
    def blank(self):
        return not (self.title.data or "").strip() and self.days.data is None and not (self.price.data or "").strip()

    def value(self):
        return {"key": self.key.data or None, "label": self.title.data, "days": self.days.data, "price": self.price.fen}


class CardTemplateForm(FlaskForm):
    kind = SelectField(_l("卡类型"), choices=KIND_CHOICES)
    title = StringField(_l("卡名称"), validators=[DataRequired(_l("请填写卡名称")),
                                                Length(max=40, message=_l("卡名称不能超过 40 个字"))])
    cover_color = StringField(_l("封面颜色"), default="#07C160", description=_l("格式 #RRGGBB"))
    notes = TextAreaField(_l("使用说明"), validators=[Length(max=1000, message=_l("使用说明不能超过 1000 个字"))])
    store_ids = SelectMultipleField(_l("适用门店"), coerce=int, description=_l("不选表示全部门店"))
    stock_total = IntegerField(_l("库存"), validators=[Optional()], description=_l("留空表示不限"))
    active = BooleanField(_l("发放中"), default=True)
    # count card
    service_name = StringField(_l("服务项目"), validators=[Length(max=60, message=_l("服务项目不能超过 60 个字"))])
    uses = IntegerField(_l("次数"), validators=[Optional()])
    valid_days = IntegerField(_l("有效天数"), validators=[Optional()], description=_l("发放后多少天内有效，留空表示长期有效"))
    price = YuanField(_l("售价（元）"), description=_l("留空表示免费"))
    # timed card
    tiers = FieldList(FormField(TierForm), min_entries=MAX_TIERS, max_entries=MAX_TIERS)
    start_mode = SelectField(_l("开始方式"), choices=[(FIRST_USE, START_MODE_LABELS[FIRST_USE]),
                                                    (AFTER_DAYS, START_MODE_LABELS[AFTER_DAYS])],
                             validate_choice=False)  # not posted for a count card; the service checks it for timed
    start_after_days = IntegerField(_l("购买后第几天开始"), validators=[Optional()])
    daily_limit = IntegerField(_l("每日限用次数"), validators=[Optional()], description=_l("留空表示不限"))
    photo_required = BooleanField(_l("核销时核对本人照片"))

    def validate_tiers(self, field):
        if self.kind.data != "timed":
            return
        for row in field:
            if row.blank:
                continue
            if not (row.title.data or "").strip() or row.days.data is None or row.price.fen is None:
                raise ValidationError(_l("每个时长档位须填写名称、天数和价格"))

    def values(self):
        """The keyword arguments for services.cards.count_timed_templates.save_template."""
        return {"kind": self.kind.data, "title": self.title.data, "cover_color": self.cover_color.data,
                "notes": self.notes.data, "store_ids": self.store_ids.data, "stock_total": self.stock_total.data,
                "disabled": not self.active.data, "service_name": self.service_name.data, "uses": self.uses.data,
                "valid_days": self.valid_days.data, "price": self.price.fen,
                "tiers": [row.value() for row in self.tiers if not row.blank], "start_mode": self.start_mode.data,
                "start_after_days": self.start_after_days.data, "daily_limit": self.daily_limit.data,
                "photo_required": self.photo_required.data}


def template_data(template):
    """A saved template as form data, money in yuan; the tier rows padded with blanks."""
    tiers = [{"key": t["key"], "title": t["label"], "days": t["days"], "price": format_yuan(t["price"])}
             for t in template.tiers or ()]
    return {"kind": template.kind, "title": template.title, "cover_color": template.cover_color,
            "notes": template.notes or "", "store_ids": [s.id for s in template.stores],
            "stock_total": template.stock_total, "active": not template.disabled,
            "service_name": template.service_name or "", "uses": template.uses, "valid_days": template.valid_days,
            "price": format_yuan(template.price) if template.price is not None and template.kind == "count" else "",
            "tiers": tiers + [{}] * (MAX_TIERS - len(tiers)), "start_mode": template.start_mode,
            "start_after_days": template.start_after_days, "daily_limit": template.daily_limit,
            "photo_required": template.photo_required}


def new_template_data(kind):
    """A new timed card starts with the standard week/month/quarter rows to fill in prices."""
    tiers = [{"title": label, "days": days} for _key, label, days in STANDARD_TIERS] if kind == "timed" else []
    return {"kind": kind, "cover_color": "#07C160", "active": True, "tiers": tiers + [{}] * (MAX_TIERS - len(tiers))}


class IssueCardForm(FlaskForm):
    mobile = StringField(_l("会员手机号"), validators=[DataRequired(_l("请填写会员手机号")), mobile_check])
    tier_key = SelectField(_l("时长档位"), choices=[], validate_choice=False)
    key = HiddenField()


class VoidCardForm(FlaskForm):
    """A POST with CSRF only; the card is in the URL."""
