"""The campaign form (营销活动), one for every kind: the page shows the schedule fields of the campaign's kind only
(the kind is chosen before the form and cannot change), the rewards (and a dormant campaign's second step), the
message and the limits.

The rules are the service's and the domain's (services/campaigns/setup.py, domain/campaigns.py): schedule values
go to them as typed, and their refusals come back beside the field they name (`place`). The form itself only
refuses what must never reach them: control characters (a NUL byte cannot be stored), numbers that are not
numbers, and choices that are not this merchant's (an audience, coupon or count card of another merchant).
"""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError

from domain import campaigns as rules
from services.campaigns import setup
from services.rewards.rules import MAX_COUPONS

ALL_MEMBERS = ""  # the audience select's "全部会员" (birthday and dormant) or "请选择" (the others)
MAX_OWN_RANGES = rules.MAX_RANGES
HOURS = [(str(h), f"{h}:00") for h in range(24)]
WEEKDAYS = [(str(i), _l("周%(d)s", d=name)) for i, name in enumerate(rules.WEEKDAY_NAMES)]
MONTH_DAYS = [(str(d), _l("%(d)s 日", d=d)) for d in range(1, 32)]
CHANNELS = [("none", _l("不通知")), ("notice", _l("模板消息通知")), ("wechat", _l("微信群发")), ("sms", _l("短信")),
            ("best", _l("自动选择渠道"))]
BIRTHDAY_MODES = [("days_before", _l("生日前几天发放")), ("month_first", _l("生日当月 1 日发放"))]
EVERY = [("week", _l("每周")), ("month", _l("每月"))]
_DIGITS = re.compile(r"[+-]?[0-9]+")
_HUGE = 10**15  # longer numbers are kept as this, so the service's range message answers (int() limits digits)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The schedule fields each kind uses (every kind but a one-off also uses "hour"); a kind ignores the others, and
# so does the form, whatever is posted in them.
KIND_FIELDS = {"birthday": ("birthday_mode", "days_before"), "dormant": ("dormant_days", "second_after_days"),
               "holiday": ("holidays", *(f"range_{part}_{i}" for i in range(MAX_OWN_RANGES)
                                         for part in ("name", "starts", "ends"))),
               "one_off": ("at",), "recurring": ("every", "week_day", "month_day"), "audience_entry": ()}
SCHEDULE_FIELDS = {"hour", *(name for names in KIND_FIELDS.values() for name in names)}
# Where a refusal of the service or the domain is shown: its `field=` detail, else a label its message names.
DOMAIN_FIELDS = {"mode": "birthday_mode", "days_before": "days_before", "days": "dormant_days",
                 "second_after_days": "second_after_days", "hour": "hour", "ranges": "holidays", "at": "at",
                 "every": "every"}
MESSAGE_FIELDS = (("活动名称", "name"), ("人群", "audience"), ("第二步", "second_points"),
                  ("优惠券总量上限", "budget_coupons"), ("积分总量上限", "budget_points"),
                  ("对照组比例", "holdout_percent"), ("短信内容", "sms"), ("通知内容", "text"), ("微信群发", "text"),
                  ("通知方式", "channel"), ("赠送积分", "points"), ("赠送成长值", "growth"), ("优惠券", "coupon_0"),
                  ("次卡", "card_ids"), ("奖励", "points"))


def no_control(form, field):
    if _CONTROL.search(field.data or ""):
        raise ValidationError(_l("%(label)s不能包含控制字符", label=field.label.text))


def no_control_but_lines(form, field):
    if _CONTROL_BUT_LINES.search(field.data or ""):
        raise ValidationError(_l("%(label)s不能包含控制字符", label=field.label.text))


class WholeField(StringField):
    """A whole number typed by a person; `.number` is the int (None when blank). Its range is the service's."""

    number = None

    def pre_validate(self, form):
        self.number = None
        text = (self.data or "").strip()
        if not text:
            return
        if not _DIGITS.fullmatch(text):
            raise ValidationError(_l("%(label)s须为整数", label=self.label.text))
        digits = text.lstrip("+-")
        self.number = (_HUGE if len(digits) > 15 else int(digits)) * (-1 if text.startswith("-") else 1)


def _choice_field(label, default="", **kwargs):
    return SelectField(label, validate_choice=False, default=default, **kwargs)


class CampaignForm(FlaskForm):
    name = StringField(_l("活动名称"), validators=[no_control], description=_l("仅后台可见，最多 40 个字"))
    audience = _choice_field(_l("活动人群"))
    # the schedule, per kind
    birthday_mode = RadioField(_l("发放时间"), choices=BIRTHDAY_MODES, default="days_before", validate_choice=False)
    days_before = StringField(_l("提前天数"), default="3", validators=[no_control],
                              description=_l("0 表示生日当天发放，最多提前 60 天"))
    dormant_days = StringField(_l("未到店天数"), default="30", validators=[no_control],
                               description=_l("连续多少天没有到店算沉睡（7 到 730 天）"))
    second_after_days = StringField(_l("第二步间隔天数"), validators=[no_control],
                                    description=_l("发放后再过多少天仍未到店，发第二步奖励；留空表示没有第二步"))
    holidays = SelectMultipleField(_l("节日"), validate_choice=False)
    at = StringField(_l("发放时间"), validators=[no_control], description=_l("按商户所在时区"))
    every = RadioField(_l("周期"), choices=EVERY, default="week", validate_choice=False)
    week_day = _choice_field(_l("每周哪天"), choices=WEEKDAYS, default="0")
    month_day = _choice_field(_l("每月几日"), choices=MONTH_DAYS, default="1", description=_l("没有这一天的月份在月末发放"))
    hour = _choice_field(_l("发放时间（点）"), choices=HOURS, default="9")
    # rewards: see the loops below for the coupon slots
    points = WholeField(_l("赠送积分"))
    growth = WholeField(_l("赠送成长值"))
    card_ids = SelectMultipleField(_l("赠送次卡"), validate_choice=False)
    second_points = WholeField(_l("第二步赠送积分"))
    second_growth = WholeField(_l("第二步赠送成长值"))
    second_card_ids = SelectMultipleField(_l("第二步赠送次卡"), validate_choice=False)
    # the message
    channel = RadioField(_l("通知方式"), choices=CHANNELS, default="none", validate_choice=False)
    text = TextAreaField(_l("微信群发内容"), validators=[no_control_but_lines],
                         description=_l("最多 %(n)s 个字", n=setup.MAX_MESSAGE))
    sms = TextAreaField(_l("短信内容"), validators=[no_control_but_lines],
                        description=_l("最多 %(n)s 个字，发送时加上签名和“回T退订”", n=setup.MAX_SMS))
    # the limits
    budget_coupons = WholeField(_l("优惠券总量上限"), description=_l("所有执行合计最多发出的券张数；留空不限"))
    budget_points = WholeField(_l("积分总量上限"), description=_l("所有执行合计最多赠送的积分；留空不限"))
    holdout_percent = WholeField(_l("对照组比例 %"), description=_l(
        "0 到 50：按比例随机留出一部分会员不发放，用来对比活动带来的到店率和消费提升"))

    kind = None
    holiday_list = ()
    invalid = False  # the form itself refused the input (the page lists what to correct)

    def setup(self, kind, audiences, coupons, cards, holidays):
        """The campaign's kind and this merchant's choices: saved audiences, coupon templates, count cards, and
        the built-in holidays still ahead."""
        self.kind = kind
        optional = kind not in setup.AUDIENCE_REQUIRED
        self.audience.choices = [(ALL_MEMBERS, _l("全部会员") if optional else _l("请选择"))] + [
            (str(a.id), a.name) for a in audiences]
        coupon_choices = [("", _l("不赠送"))] + [(str(t.id), t.title) for t in coupons]
        for field, _count in self.coupon_slots() + self.coupon_slots("second_"):
            field.choices = coupon_choices
        self.card_ids.choices = self.second_card_ids.choices = [(str(c.id), c.title) for c in cards]
        self.holiday_list = list(holidays)
        self.holidays.choices = [(h.key, _holiday_label(h)) for h in self.holiday_list]
        return self

    def coupon_slots(self, prefix=""):
        return [(self[f"{prefix}coupon_{i}"], self[f"{prefix}count_{i}"]) for i in range(MAX_COUPONS)]

    def range_slots(self):
        return [(self[f"range_name_{i}"], self[f"range_starts_{i}"], self[f"range_ends_{i}"])
                for i in range(MAX_OWN_RANGES)]

    def validate_audience(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("所选人群不存在"))

    def uses(self, name):
        """Whether the campaign's kind uses the field (the page shows only those)."""
        if name in SCHEDULE_FIELDS:
            return name in KIND_FIELDS[self.kind] or (name == "hour" and self.kind != "one_off")
        if name.startswith("second_"):
            return self.kind == "dormant"
        return True

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        for prefix in ("", "second_"):
            for coupon, _count in self.coupon_slots(prefix):
                if coupon.data and coupon.data not in {value for value, _label in coupon.choices}:
                    coupon.errors.append(_l("所选优惠券不存在"))
        for field in (self.card_ids, self.second_card_ids, self.holidays):
            known = {value for value, _label in field.choices}
            if any(value not in known for value in field.data or ()):
                field.errors.append(_l("所选次卡不存在") if field is not self.holidays else _l("所选节日不存在"))
        for field in self:
            if not self.uses(field.name):
                field.errors = []
        self.invalid = any(field.errors for field in self)
        return not self.invalid

    def values(self):
        """The keyword arguments of services.campaigns.setup.save."""
        second = None
        if self.kind == "dormant" and (self.second_after_days.data or "").strip():
            second = self._rewards("second_") or None
        return {"name": self.name.data, "kind": self.kind,
                "audience_id": int(self.audience.data) if self.audience.data else None,
                "schedule": self._schedule(), "rewards": self._rewards(""), "second_rewards": second,
                "message": {"channel": self.channel.data or "none", "text": self.text.data or "",
                            "sms": self.sms.data or ""},
                "budget_coupons": self.budget_coupons.number, "budget_points": self.budget_points.number,
                "holdout_percent": self.holdout_percent.number}

    def _schedule(self):
        hour = {"hour": self.hour.data}
        if self.kind == "birthday":
            return {"mode": self.birthday_mode.data, "days_before": self.days_before.data, **hour}
        if self.kind == "dormant":
            return {"days": self.dormant_days.data, "second_after_days": self.second_after_days.data, **hour}
        if self.kind == "holiday":
            return {"ranges": self._ranges(), **hour}
        if self.kind == "one_off":
            return {"at": self.at.data}
        if self.kind == "recurring":
            day = self.week_day.data if self.every.data == "week" else self.month_day.data
            return {"every": self.every.data, "day": day, **hour}
        return hour

    def _ranges(self):
        """The built-in holidays ticked, then the merchant's own ranges that have anything typed in them."""
        ticked = set(self.holidays.data or ())
        ranges = [{"name": h.name, "starts": h.starts.isoformat(), "ends": h.ends.isoformat()}
                  for h in self.holiday_list if h.key in ticked]
        for name, starts, ends in self.range_slots():
            if any((f.data or "").strip() for f in (name, starts, ends)):
                ranges.append({"name": name.data or "", "starts": starts.data or "", "ends": ends.data or ""})
        return ranges

    def _rewards(self, prefix):
        coupons = [{"template_id": int(c.data), "count": 1 if n.number is None else n.number}
                   for c, n in self.coupon_slots(prefix) if c.data]
        rewards = {"points": self[f"{prefix}points"].number or 0, "growth": self[f"{prefix}growth"].number or 0,
                   "coupons": coupons,
                   "count_cards": [{"template_id": int(i)} for i in self[f"{prefix}card_ids"].data or ()]}
        given = rewards["points"] or rewards["growth"] or coupons or rewards["count_cards"]
        return rewards if given or not prefix else {}

    def place(self, exc):
        """A refusal of the service shown beside the field it is about (the flash says it too)."""
        key = exc.details.get("field")
        name = DOMAIN_FIELDS.get(key)
        if key == "day":
            name = "week_day" if self.every.data == "week" else "month_day"
        if name is None:
            name = next((field for label, field in MESSAGE_FIELDS if label in exc.message), None)
        if name is not None:
            self[name].errors = list(self[name].errors or ()) + [exc.message]


for _i in range(MAX_COUPONS):  # up to five coupon templates, each with its count; the same for the second step
    for _prefix, _label in (("", _l("赠送优惠券 %(n)s", n=_i + 1)), ("second_", _l("第二步优惠券 %(n)s", n=_i + 1))):
        setattr(CampaignForm, f"{_prefix}coupon_{_i}", _choice_field(_label))
        setattr(CampaignForm, f"{_prefix}count_{_i}", WholeField(_l("张数")))  # blank: one
for _i in range(MAX_OWN_RANGES):  # the merchant's own date ranges
    setattr(CampaignForm, f"range_name_{_i}", StringField(_l("名称"), validators=[no_control]))
    setattr(CampaignForm, f"range_starts_{_i}", StringField(_l("开始日期"), validators=[no_control]))
    setattr(CampaignForm, f"range_ends_{_i}", StringField(_l("结束日期"), validators=[no_control]))


def _holiday_label(holiday):
    if holiday.starts == holiday.ends:
        return f"{holiday.name} {holiday.starts.isoformat()}"
    return f"{holiday.name} {holiday.starts.isoformat()}～{holiday.ends:%m-%d}"


def campaign_data(campaign, holidays):
    """A saved campaign as the form's data; its holiday ranges that are built-in holidays come back ticked."""
    schedule, rewards, message = campaign.schedule or {}, campaign.rewards or {}, campaign.message or {}
    data = {"name": campaign.name, "audience": str(campaign.audience_id or ""),
            "hour": str(schedule.get("hour", 9)), "channel": message.get("channel", "none"),
            "text": message.get("text", ""), "sms": message.get("sms", ""),
            "budget_coupons": _text(campaign.budget_coupons), "budget_points": _text(campaign.budget_points),
            "holdout_percent": _text(campaign.holdout_percent or None)}
    if campaign.kind == "birthday":
        data |= {"birthday_mode": schedule.get("mode"), "days_before": str(schedule.get("days_before", 0))}
    elif campaign.kind == "dormant":
        data |= {"dormant_days": str(schedule.get("days", "")),
                 "second_after_days": _text(schedule.get("second_after_days"))}
    elif campaign.kind == "one_off":
        data["at"] = schedule.get("at", "")
    elif campaign.kind == "recurring":
        day = str(schedule.get("day", ""))
        data |= {"every": schedule.get("every"), "week_day": day, "month_day": day}
    elif campaign.kind == "holiday":
        data |= _ranges_data(schedule.get("ranges") or (), holidays)
    data |= _rewards_data(rewards, "")
    data |= _rewards_data(rewards.get("second") or {}, "second_")
    return data


def _ranges_data(ranges, holidays):
    built_in = {(h.name, h.starts.isoformat(), h.ends.isoformat()): h.key for h in holidays}
    data, own = {"holidays": []}, 0
    for one in ranges:
        key = built_in.get((one["name"], one["starts"], one["ends"]))
        if key is not None:
            data["holidays"].append(key)
        elif own < MAX_OWN_RANGES:
            data |= {f"range_name_{own}": one["name"], f"range_starts_{own}": one["starts"],
                     f"range_ends_{own}": one["ends"]}
            own += 1
    return data


def _rewards_data(rewards, prefix):
    data = {f"{prefix}points": _text(rewards.get("points") or None),
            f"{prefix}growth": _text(rewards.get("growth") or None),
            f"{prefix}card_ids": [str(c["template_id"]) for c in rewards.get("count_cards", ())]}
    for i, entry in enumerate(rewards.get("coupons", ())[:MAX_COUPONS]):
        data[f"{prefix}coupon_{i}"], data[f"{prefix}count_{i}"] = str(entry["template_id"]), str(entry["count"])
    return data


def _text(value):
    return "" if value is None else str(value)
