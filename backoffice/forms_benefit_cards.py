"""Back-office forms for benefit cards: the template, issuing to a member, and a refund."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from backoffice.forms import YuanField, mobile_check, tenths_from_text, tenths_text
from domain.benefit_cards import MAX_PACK_COUNT
from domain.money import format_yuan

PACK_PREFIX = "pack_"


class BenefitCardForm(FlaskForm):
    title = StringField(_l("卡名称"), validators=[DataRequired(_l("请填写卡名称")),
                                                Length(max=40, message=_l("卡名称不能超过 40 个字"))])
    price = YuanField(_l("售价（元）"), description=_l("留空表示免费领取"))
    stock_total = IntegerField(_l("库存"), validators=[Optional()], description=_l("留空表示不限"))
    valid_days = IntegerField(_l("有效天数"), validators=[Optional()], description=_l("自发卡起计算；留空表示长期有效"))
    discount = StringField(_l("折扣（折）"), description=_l("例如 9 表示 9 折；留空表示无折扣"))
    multiplier = StringField(_l("积分倍数"), description=_l("例如 2 表示双倍积分；留空表示不加倍"))
    free_items = TextAreaField(_l("免费项目"), description=_l("每行一项，最多 10 项，每项不超过 40 个字"))
    store_ids = SelectMultipleField(_l("适用门店"), coerce=int, description=_l("不选表示全部门店"))
    cover_color = StringField(_l("封面颜色"), default="#07C160", validators=[
        Regexp(r"^#[0-9A-Fa-f]{6}$", message=_l("封面颜色须为 #RRGGBB"))])
    notes = TextAreaField(_l("使用说明"), validators=[Length(max=1000, message=_l("使用说明不能超过 1000 个字"))])

    discount_percent = None
    points_multiplier = None

    def validate_discount(self, field):
        text = (field.data or "").strip()
        self.discount_percent = tenths_from_text(text, 1, 99, _l("折扣须在 0.1 到 9.9 折之间")) if text else None

    def validate_multiplier(self, field):
        text = (field.data or "").strip()
        tenths = tenths_from_text(text, 10, 100, _l("积分倍数须在 1 到 10 倍之间")) if text else None
        self.points_multiplier = tenths * 10 if tenths else None

    def values(self, gift_pack):
        """The keyword arguments for services.cards.benefit_templates.save_template."""
        return {"title": self.title.data, "price": self.price.fen, "stock_total": self.stock_total.data,
                "valid_days": self.valid_days.data, "discount_percent": self.discount_percent,
                "points_multiplier": self.points_multiplier,
                "free_items": (self.free_items.data or "").splitlines(), "gift_pack": gift_pack,
                "store_ids": self.store_ids.data, "cover_color": (self.cover_color.data or "").strip() or None,
                "notes": self.notes.data}


def template_data(template):
    """A saved template as the form shows it: yuan, 折 and 倍 as typed."""
    return {"title": template.title, "price": format_yuan(template.price) if template.price is not None else "",
            "stock_total": template.stock_total, "valid_days": template.valid_days,
            "discount": tenths_text(template.discount_percent) if template.discount_percent else "",
            "multiplier": (tenths_text(template.points_multiplier // 10)
                           if template.points_multiplier and template.points_multiplier > 100 else ""),
            "free_items": "\n".join(template.free_items or []), "store_ids": [s.id for s in template.stores],
            "cover_color": template.cover_color, "notes": template.notes or ""}


def pack_counts(formdata, coupon_templates):
    """({coupon template id: count}, error) from the `pack_<id>` inputs; blank or 0 leaves a coupon out."""
    counts = {}
    for template in coupon_templates:
        text = (formdata.get(f"{PACK_PREFIX}{template.id}") or "").strip()
        if not text:
            continue
        if not text.isdigit() or int(text) > MAX_PACK_COUNT:
            return counts, _l("礼包中每种券须为 0 到 %(n)s 张", n=MAX_PACK_COUNT)
        if int(text):
            counts[template.id] = int(text)
    return counts, None


class IssueBenefitCardForm(FlaskForm):
    mobile = StringField(_l("会员手机号"), validators=[DataRequired(_l("请填写会员手机号")), mobile_check])
    price_paid = YuanField(_l("实收金额（元）"), description=_l("在门店收款后填写；免费发放请留空"))
    key = HiddenField()


class RefundForm(FlaskForm):
    mode = RadioField(_l("退卡方式"), choices=[("money", _l("退卡并退款")), ("no_money", _l("退卡不退款"))],
                      default="no_money")
    amount = YuanField(_l("退款金额（元）"), description=_l("可自定义，不超过实付金额"))
    take_back = BooleanField(_l("收回礼包中未使用的券"))
    reason = StringField(_l("退卡原因"), validators=[Length(max=200, message=_l("退卡原因不能超过 200 个字"))])
    key = HiddenField()

    def validate_amount(self, field):
        if self.mode.data == "money" and field.fen is None:
            raise ValidationError(_l("请填写退款金额"))

    def with_money(self):
        return self.mode.data == "money"


class ActionForm(FlaskForm):
    """The CSRF token of the list / delist / disable / enable buttons."""
