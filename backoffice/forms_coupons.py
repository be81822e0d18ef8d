"""Back-office forms for coupon templates and issuing a coupon to a member by mobile."""
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField, mobile_check, optional_int, tenths_from_text, tenths_text
from domain.clock import DEFAULT_TIMEZONE, to_local
from domain.coupons import KIND_LABELS, KINDS
from domain.money import format_yuan

WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def minute_of(text):
    """'09:30' -> 570; '24:00' -> 1440; blank -> None."""
    text = (text or "").strip()
    if not text:
        return None
    match = _HHMM.match(text)
    if not match or (int(match.group(1)) == 24 and int(match.group(2)) != 0):
        raise ValidationError(_l("时间格式应为 HH:MM"))
    return int(match.group(1)) * 60 + int(match.group(2))


def hhmm(minute):
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


class CouponTemplateForm(FlaskForm):
    kind = SelectField(_l("券类型"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    title = StringField(_l("券名称"), validators=[DataRequired(_l("请填写券名称")),
                                                Length(max=40, message=_l("券名称不能超过 40 个字"))])
    amount_off = YuanField(_l("减免金额（元）"))
    min_spend = YuanField(_l("最低消费（元）"))
    discount = StringField(_l("折扣（折）"), description=_l("例如 8.5 表示 8.5 折"))
    discount_cap = YuanField(_l("最多优惠（元）"))
    gift_item = StringField(_l("兑换内容"), validators=[Length(max=60, message=_l("兑换内容不能超过 60 个字"))])
    event_starts_at = StringField(_l("场次时间"), description=_l("格式 YYYY-MM-DD HH:MM"))
    validity_mode = SelectField(_l("有效期"), choices=[("relative", _l("领取后 N 天有效")), ("fixed", _l("固定日期"))])
    valid_from = DateField(_l("开始日期"), validators=[Optional()])
    valid_until = DateField(_l("结束日期"), validators=[Optional()])
    valid_days = IntegerField(_l("有效天数"), validators=[Optional()])
    valid_after_days = IntegerField(_l("领取后几天生效"), validators=[Optional()])
    store_ids = SelectMultipleField(_l("适用门店"), coerce=int, description=_l("不选表示全部门店"))
    weekdays = SelectMultipleField(_l("可用星期"), coerce=int, choices=list(enumerate(WEEKDAY_LABELS)))
    start_time = StringField(_l("每日开始"))
    end_time = StringField(_l("每日结束"))
    stock_total = IntegerField(_l("库存"), validators=[Optional()], description=_l("留空表示不限"))
    per_member_limit = IntegerField(_l("每人限领"), validators=[Optional()])
    notes = TextAreaField(_l("使用说明"), validators=[Length(max=1000, message=_l("使用说明不能超过 1000 个字"))])
    shareable = BooleanField(_l("可转赠"))
    obtain = SelectField(_l("获取方式"), choices=[("free", _l("免费领取")), ("points", _l("仅积分兑换")),
                                              ("money", _l("付费购买"))], default="free",
                         description=_l("积分价格按等级填写，留空或 0 表示该等级不能兑换"))
    price = YuanField(_l("售价（元）"), description=_l("付费购买时填写；会员通过在线支付购买"))
    active = BooleanField(_l("发放中"), default=True)
    points_names = ()  # one IntegerField per level, added by coupon_form()

    def points_prices(self):
        """{level_id: points} as typed; blank and 0 mean the level may not exchange."""
        return {int(name.removeprefix("points_")): self[name].data for name in self.points_names}

    def validate_price(self, field):
        if self.obtain.data == "money" and not field.fen:
            raise ValidationError(_l("付费购买的券须设置售价"))

    def validate_discount(self, field):
        text = (field.data or "").strip()
        self.discount_percent = tenths_from_text(text, 1, 99, _l("折扣须在 0.1 到 9.9 折之间")) if text else None

    def validate_start_time(self, field):
        self.start_minute = minute_of(field.data)

    def validate_end_time(self, field):
        self.end_minute = minute_of(field.data)

    def validate_event_starts_at(self, field):
        text = (field.data or "").strip().replace("T", " ")
        self.event_at = None
        if text:
            try:
                self.event_at = datetime.strptime(text, "%Y-%m-%d %H:%M")
            except ValueError:
                raise ValidationError(_l("场次时间格式应为 YYYY-MM-DD HH:MM")) from None

    def values(self, tz_name):
        """The keyword arguments for services.coupons.templates.save_template."""
        event = self.event_at.replace(tzinfo=ZoneInfo(tz_name or DEFAULT_TIMEZONE)).astimezone(UTC) \
            if self.event_at else None
        return {"kind": self.kind.data, "title": self.title.data, "notes": self.notes.data,
                    "amount_off": self.amount_off.fen, "min_spend": self.min_spend.fen,
                    "discount_percent": self.discount_percent, "discount_cap": self.discount_cap.fen,
                    "gift_item": self.gift_item.data, "event_starts_at": event, "stock_total": self.stock_total.data,
                    "per_member_limit": self.per_member_limit.data, "validity_mode": self.validity_mode.data,
                    "valid_from": self.valid_from.data, "valid_until": self.valid_until.data,
                    "valid_days": self.valid_days.data, "valid_after_days": self.valid_after_days.data,
                    "store_ids": self.store_ids.data, "weekdays": self.weekdays.data, "start_minute": self.start_minute,
                    "end_minute": self.end_minute, "shareable": self.shareable.data,
                    "free_claim": self.obtain.data == "free", "points_prices": self.points_prices(),
                    "price": self.price.fen if self.obtain.data == "money" else None,
                    "active": bool(self.active.data)}


def template_data(template, tz_name):
    """A saved template as form data: yuan, 折 and HH:MM as typed."""
    yuan = lambda fen: format_yuan(fen) if fen is not None else ""
    event = to_local(template.event_starts_at, tz_name).strftime("%Y-%m-%d %H:%M") if template.event_starts_at else ""
    return {"kind": template.kind, "title": template.title, "notes": template.notes or "", "amount_off": yuan(template.amount_off),
                "min_spend": yuan(template.min_spend), "discount_cap": yuan(template.discount_cap),
                "discount": tenths_text(template.discount_percent) if template.discount_percent else "",
                "gift_item": template.gift_item or "", "event_starts_at": event, "validity_mode": template.validity_mode,
                "valid_from": template.valid_from, "valid_until": template.valid_until, "valid_days": template.valid_days,
                "valid_after_days": template.valid_after_days, "store_ids": [s.id for s in template.stores],
                "weekdays": list(template.weekdays or []), "start_time": hhmm(template.start_minute),
                "end_time": hhmm(template.end_minute), "stock_total": template.stock_total,
                "per_member_limit": template.per_member_limit, "shareable": template.shareable, "active": template.active,
                "obtain": "money" if template.price else ("free" if template.free_claim else "points"),
                "price": yuan(template.price),
                **{f"points_{level_id}": points for level_id, points in (template.points_prices or {}).items()}}


def coupon_form(levels, **kwargs):
    """The template form with one points-price field per level of the merchant."""
    fields = {f"points_{level.id}": IntegerField(level.name, validators=[Optional(), NumberRange(
        min=0, max=100_000_000, message=_l("积分须为 0 到 1 亿之间的整数"))]) for level in levels}
    form_class = type("CouponTemplateLevelForm", (CouponTemplateForm,), {**fields, "points_names": tuple(fields)})
    return form_class(**kwargs)


class BulkIssueForm(FlaskForm):
    # No coupon is chosen for the merchant (the first in the list may be a paid one): the list starts on a
    # placeholder, and sending without choosing asks for one.
    template_id = SelectField(_l("优惠券"), coerce=optional_int, validators=[DataRequired(_l("请选择优惠券"))])
    level_id = SelectField(_l("会员等级"), coerce=int)
    tag_id = SelectField(_l("会员标签"), coerce=int)
    joined_from = DateField(_l("注册开始日期"), validators=[Optional()])
    joined_until = DateField(_l("注册结束日期"), validators=[Optional()])

    def filters(self):
        return {"level_id": self.level_id.data or None, "tag_id": self.tag_id.data or None,
                "joined_from": self.joined_from.data, "joined_until": self.joined_until.data}


class IssueCouponForm(FlaskForm):
    mobile = StringField(_l("会员手机号"), validators=[DataRequired(_l("请填写会员手机号")), mobile_check])
    key = HiddenField()
