"""The reward rule form, one for every kind: the page shows only the fields a kind uses (FIELD_KINDS, read by
static/js/reward_rule_form.js) and the service ignores the others. Choices (stores, levels, coupons, count cards)
are the merchant's own rows, filled by the view, so a forged id fails the form before the service sees it; the
preview sentence is built from the same choices."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from backoffice.forms import YuanField
from domain.errors import DomainError
from domain.money import format_yuan, parse_yuan
from models.rewards import PAYMENT_KINDS
from services.rewards.preview import RuleSketch
from services.rewards.rules import MAX_COUNT, MAX_COUPONS

AMOUNT_RANGE = NumberRange(0, 1_000_000, _l("须在 0 到 1000000 之间"))
LIMIT_RANGE = NumberRange(1, 10_000, _l("次数须在 1 到 10000 之间，不限请留空"))
COUNT_RANGE = NumberRange(1, MAX_COUNT, _l("张数须在 1 到 10 之间"))
KIND_LABELS = {"post_payment": _l("支付后营销"), "receipt_coupon": _l("会员消费优惠券（小票二维码）"),
               "registration": _l("开卡礼"), "follow": _l("关注礼"), "level_up": _l("升级礼")}
# The list page's tabs: the payment rules share one.
TABS = {"payment": (_l("支付后营销"), PAYMENT_KINDS), "registration": (_l("开卡礼"), ("registration",)),
        "follow": (_l("关注礼"), ("follow",)), "level_up": (_l("升级礼"), ("level_up",))}
NOT_RECEIPT = ("post_payment", "registration", "follow", "level_up")
FIELD_KINDS = {"all_stores": PAYMENT_KINDS, "store_ids": PAYMENT_KINDS, "level_ids": PAYMENT_KINDS,
               "for_non_members": ("post_payment",), "min_paid": PAYMENT_KINDS, "level_id": ("level_up",),
               "points": NOT_RECEIPT, "growth": ("post_payment", "registration", "follow"), "card_ids": NOT_RECEIPT,
               "per_member_store_limit": PAYMENT_KINDS, "per_member_limit": PAYMENT_KINDS}


def tab_of(kind):
    return next((tab for tab, (_label, kinds) in TABS.items() if kind in kinds), "payment")


class RewardRuleForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=list(KIND_LABELS.items()))
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=40)])
    all_stores = BooleanField(_l("全部门店"), default=True)
    store_ids = SelectMultipleField(_l("适用门店"), coerce=int, description=_l("关闭“全部门店”时必选"))
    level_ids = SelectMultipleField(_l("会员等级"), coerce=int, description=_l("不选表示全部等级"))
    for_non_members = BooleanField(_l("非会员可领取（小票二维码，领卡后到账）"))
    min_paid = YuanField(_l("实付满（元）"))
    level_id = SelectField(_l("升级到等级"), default="")
    points = IntegerField(_l("赠送积分"), validators=[Optional(), AMOUNT_RANGE])
    growth = IntegerField(_l("赠送成长值"), validators=[Optional(), AMOUNT_RANGE])
    card_ids = SelectMultipleField(_l("赠送次卡"), coerce=int)
    per_member_store_limit = IntegerField(_l("每店每人奖励次数"), validators=[Optional(), LIMIT_RANGE],
                                          description=_l("留空不限"))
    per_member_limit = IntegerField(_l("每人奖励总次数"), validators=[Optional(), LIMIT_RANGE],
                                    description=_l("留空不限"))
    starts_on = DateField(_l("开始日期"), validators=[Optional()])
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    active = BooleanField(_l("启用"), default=True)

    def validate_min_paid(self, field):
        if self.kind.data in PAYMENT_KINDS and not (field.data or "").strip():
            raise ValidationError(_l("请填写实付金额门槛"))

    def validate_level_id(self, field):
        if self.kind.data == "level_up" and not field.data:
            raise ValidationError(_l("请选择会员等级"))

    def kinds_of(self, name):
        """The kinds that use a field, for the page's data-kinds attribute (every kind when not listed)."""
        return " ".join(FIELD_KINDS.get(name, KIND_LABELS))

    def sketch(self):
        """What the preview sentence needs, read from the (possibly invalid) input and the form's own choices."""
        kind = self.kind.data if self.kind.data in KIND_LABELS else "post_payment"
        coupons = [(_label(c), _int(n.data) or 1) for c, n in self.coupon_slots() if c.data and _label(c)]
        return RuleSketch(
            kind=kind, store_names=[] if self.all_stores.data else _labels(self.store_ids),
            level_names=_labels(self.level_ids), for_non_members=bool(self.for_non_members.data),
            min_paid=_fen(self.min_paid.data), points=_int(self.points.data), growth=_int(self.growth.data),
            coupons=coupons, card_names=_labels(self.card_ids), level_up_name=_label(self.level_id),
            per_member_limit=_int(self.per_member_limit.data) or None)

    def coupon_slots(self):
        return [(self[f"coupon_{i}"], self[f"count_{i}"]) for i in range(MAX_COUPONS)]

    def values(self):
        coupons = [{"template_id": int(c.data), "count": n.data or 1} for c, n in self.coupon_slots() if c.data]
        rewards = {"points": self.points.data or 0, "growth": self.growth.data or 0, "coupons": coupons,
                   "count_cards": [{"template_id": i} for i in self.card_ids.data]}
        return {"kind": self.kind.data, "name": self.name.data, "all_stores": bool(self.all_stores.data),
                "store_ids": self.store_ids.data, "level_ids": self.level_ids.data,
                "for_non_members": bool(self.for_non_members.data), "min_paid": self.min_paid.fen or 0,
                "rewards": rewards, "per_member_store_limit": self.per_member_store_limit.data,
                "per_member_limit": self.per_member_limit.data, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "active": bool(self.active.data),
                "level_id": int(self.level_id.data) if (self.level_id.data or "").isdigit() else None}


def _labels(field):
    chosen = {str(v) for v in (field.data or ())}
    return [str(text) for value, text in field.choices if str(value) in chosen]


def _label(field):
    return next((str(text) for value, text in field.choices if value and str(value) == str(field.data)), "")


def _int(value):
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _fen(text):
    try:
        return parse_yuan((text or "0").strip() or "0")
    except DomainError:
        return 0


for _i in range(MAX_COUPONS):  # up to five coupon templates, each with its count
    setattr(RewardRuleForm, f"coupon_{_i}", SelectField(_l("赠送优惠券 %(n)s", n=_i + 1), default=""))
    setattr(RewardRuleForm, f"count_{_i}", IntegerField(_l("张数"), validators=[Optional(), COUNT_RANGE]))


def fill_choices(form, stores, levels, coupon_templates, count_cards):
    form.store_ids.choices = [(s.id, s.name) for s in stores]
    form.level_ids.choices = [(lv.id, lv.name) for lv in levels]
    form.level_id.choices = [("", _l("请选择"))] + [(str(lv.id), lv.name) for lv in levels]
    form.card_ids.choices = [(c.id, c.title) for c in count_cards]
    for field, _count in form.coupon_slots():
        field.choices = [("", _l("不赠送"))] + [(str(t.id), t.title) for t in coupon_templates]


def rule_data(row):
    rewards = row.rewards or {}
    data = {"kind": row.kind, "name": row.name, "all_stores": row.all_stores, "store_ids": [s.id for s in row.stores],
            "level_ids": list(row.level_ids), "for_non_members": row.for_non_members,
            "min_paid": format_yuan(row.min_paid), "points": rewards.get("points") or None,
            "growth": rewards.get("growth") or None,
            "card_ids": [c["template_id"] for c in rewards.get("count_cards", ())],
            "per_member_store_limit": row.per_member_store_limit, "per_member_limit": row.per_member_limit,
            "starts_on": row.starts_on, "ends_on": row.ends_on, "active": row.active,
            "level_id": str(row.level_id) if row.level_id else ""}
    for i, entry in enumerate(rewards.get("coupons", ())[:MAX_COUPONS]):
        data[f"coupon_{i}"], data[f"count_{i}"] = str(entry["template_id"]), entry["count"]
    return data
