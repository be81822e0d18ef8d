"""The 招募设置 form: the two switches and the referral reward table (好友开卡 / 好友首次消费 × 3 levels × points and
one coupon). The coupon choices are the merchant's own active coupons (and any coupon already in the table, so a
stopped one shows, and saving it says why), filled by the view: another merchant's id fails the form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from domain.errors import DomainError
from domain.recruitment import REFERRAL_REWARD_LEVELS
from domain.referrals import LEVEL_LABELS, MAX_REWARD_POINTS, REFERRAL_EVENT_LABELS, REFERRAL_EVENTS, clean_rewards

POINTS_RANGE = NumberRange(0, MAX_REWARD_POINTS, _l("积分须在 0 到 %(max)s 之间", max=MAX_REWARD_POINTS))
LEVELS = range(1, REFERRAL_REWARD_LEVELS + 1)
SHORT_LEVEL_LABELS = {1: "一级", 2: "二级", 3: "三级"}  # the cell labels; the page's hint says who each level is


def _field_names(event, level):
    return f"{event}_{level}_points", f"{event}_{level}_coupon"


class RecruitSettingsForm(FlaskForm):
    invite_enabled = BooleanField(_l("开启邀请有礼（会员中心显示“邀请好友”）"), default=True)
    rebind_guide_on_scan = BooleanField(_l("会员扫其他导购的码时改绑为新导购"))

    def cells(self, event):
        """[(level label, points field, coupon field)] of one event's row of the table."""
        return [(LEVEL_LABELS[level], self[_field_names(event, level)[0]], self[_field_names(event, level)[1]])
                for level in LEVELS]

    def events(self):
        return [(event, REFERRAL_EVENT_LABELS[event]) for event in REFERRAL_EVENTS]

    def rewards(self):
        """The table as the service takes it (blank points are 0, no coupon is None)."""
        return {event: [{"points": points.data or 0, "coupon_template_id": _template_id(coupon.data)}
                        for _label, points, coupon in self.cells(event)] for event in REFERRAL_EVENTS}

    def rewards_for_preview(self):
        """The table from input that may not validate (the live preview): bad cells count as empty."""
        table = {}
        for event in REFERRAL_EVENTS:
            table[event] = [{"points": _points_or_zero(points.data), "coupon_template_id": _template_id(coupon.data)}
                            for _label, points, coupon in self.cells(event)]
        try:
            return clean_rewards(table)
        except DomainError:  # a preview of nonsense is the preview of nothing
            return clean_rewards({})

    def fill(self, settings, rewards):
        """GET: the stored settings into the fields."""
        self.invite_enabled.data = bool(settings.invite_enabled)
        self.rebind_guide_on_scan.data = bool(settings.rebind_guide_on_scan)
        for event in REFERRAL_EVENTS:
            for (_label, points, coupon), cell in zip(self.cells(event), rewards[event]):
                points.data = cell["points"] or None
                coupon.data = str(cell["coupon_template_id"]) if cell["coupon_template_id"] else ""

    def set_coupon_choices(self, choices):
        """`choices`: [(id, title)]; every select offers 不送券 first."""
        options = [("", _l("不送券"))] + [(str(template_id), title) for template_id, title in choices]
        for event in REFERRAL_EVENTS:
            for _label, _points, coupon in self.cells(event):
                coupon.choices = options


def _template_id(value):
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 11 else None


def _points_or_zero(value):
    return value if isinstance(value, int) and 0 <= value <= MAX_REWARD_POINTS else 0


for _event in REFERRAL_EVENTS:
    for _level in LEVELS:
        _points_name, _coupon_name = _field_names(_event, _level)
        setattr(RecruitSettingsForm, _points_name, IntegerField(
            _l("%(level)s积分", level=SHORT_LEVEL_LABELS[_level]), validators=[Optional(), POINTS_RANGE],
            render_kw={"inputmode": "numeric", "placeholder": "0"}))
        setattr(RecruitSettingsForm, _coupon_name, SelectField(
            _l("%(level)s优惠券", level=SHORT_LEVEL_LABELS[_level]), choices=[("", _l("不送券"))], default="", validate_choice=True))
