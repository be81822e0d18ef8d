"""Back-office forms about members: profile, points, level, wallet, physical card."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from backoffice.forms import mobile_check, optional_int
from models.member import GENDER_LABELS, GENDERS, MEMBER_STATUS_LABELS, MEMBER_STATUSES
from services.points.ledger import MAX_POINTS_PER_CHANGE


def strip(value):
    return value.strip() if isinstance(value, str) else value


class MemberForm(FlaskForm):
    mobile = StringField(_l("手机号"), validators=[
        DataRequired(_l("请填写手机号")), Length(max=20, message=_l("请输入正确的 11 位手机号")), mobile_check],
        render_kw={"inputmode": "tel", "autocomplete": "off"})
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=60, message=_l("姓名不能超过 60 个字"))])
    gender = SelectField(_l("性别"), choices=[(g, GENDER_LABELS[g]) for g in GENDERS], default="unknown")
    birthday = DateField(_l("生日"), validators=[Optional()], format="%Y-%m-%d")
    home_store_id = SelectField(_l("所属门店"), coerce=optional_int)
    guide_id = SelectField(_l("专属导购"), coerce=optional_int)
    referrer_mobile = StringField(_l("推荐人手机号"), validators=[
        Optional(), Length(max=20, message=_l("请输入正确的 11 位手机号")), mobile_check],
        render_kw={"inputmode": "tel", "autocomplete": "off"})
    tag_ids = SelectMultipleField(_l("标签"), coerce=int)
    new_tag = StringField(_l("新标签"), validators=[Optional(), Length(max=30, message=_l("标签名不能超过 30 个字"))])
    status = SelectField(_l("状态"), choices=[(s, MEMBER_STATUS_LABELS[s]) for s in MEMBER_STATUSES], default="active")

    def setup(self, stores, guides, tags, editing):
        self.home_store_id.choices = [("", _l("不指定"))] + [(s.id, s.name) for s in stores]
        self.guide_id.choices = [("", _l("不指定"))] + [(g.id, g.name) for g in guides]
        self.tag_ids.choices = [(t.id, t.name) for t in tags]
        if not editing:
            del self.status
        return self

    def fill_from(self, member):
        self.mobile.data, self.name.data, self.gender.data = member.mobile, member.name, member.gender
        self.birthday.data = member.birthday
        self.home_store_id.data, self.guide_id.data = member.home_store_id, member.guide_id
        self.referrer_mobile.data = member.referrer.mobile if member.referrer is not None else ""
        self.tag_ids.data = [t.id for t in member.tags]
        self.status.data = member.status


class PointsAdjustForm(FlaskForm):
    direction = SelectField(_l("调整方向"), choices=[("add", _l("增加")), ("deduct", _l("扣减"))], default="add")
    points = IntegerField(_l("积分"), validators=[
        InputRequired(_l("请填写积分")),
        NumberRange(1, MAX_POINTS_PER_CHANGE, message=_l("积分须为 1 到 100000000 之间的整数"))],
        render_kw={"inputmode": "numeric"})
    reason = TextAreaField(_l("调整原因"), validators=[
        DataRequired(_l("请填写调整原因")), Length(max=200, message=_l("调整原因不能超过 200 字"))])
    store_id = SelectField(_l("门店"), coerce=optional_int)
    idempotency_key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")),
                                              Length(max=100, message=_l("页面已过期，请刷新后重试"))])

    def setup(self, actor, stores):
        if actor.is_store_bound:
            self.store_id.choices = [(s.id, s.name) for s in actor.stores if s.active]
            self.store_id.validators = [InputRequired(_l("请选择门店"))]
            self.store_id.flags.required = True
        else:
            self.store_id.choices = [("", _l("不指定"))] + [(s.id, s.name) for s in stores]
        return self

    @property
    def delta(self):
        return self.points.data if self.direction.data == "add" else -self.points.data


class SetLevelForm(FlaskForm):
    # The service looks the level up within the merchant (404 for anyone else's), so no choice check here.
    level_id = SelectField(_l("新等级"), coerce=optional_int, validate_choice=False,
                           validators=[InputRequired(_l("请选择等级"))])
    note = TextAreaField(_l("调整原因"), validators=[
        DataRequired(_l("请填写调整原因")), Length(max=200, message=_l("调整原因不能超过 200 字"))])

    def setup(self, levels):
        self.level_id.choices = [(lv.id, lv.name) for lv in levels]
        return self


class WalletFreezeForm(FlaskForm):
    wallet_id = HiddenField(validators=[DataRequired(_l("缺少储值账户"))])
    frozen = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$", message=_l("操作不正确"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")),
                                  Length(max=100, message=_l("页面已过期，请刷新后重试"))])
    reason = StringField(_l("原因"), validators=[
        DataRequired(_l("请填写冻结或解冻的原因")), Length(max=200, message=_l("原因不能超过 200 字"))])


class BindCardForm(FlaskForm):
    card_no = StringField(_l("实体卡号"), validators=[
        DataRequired(_l("请填写实体卡号")), Length(max=32, message=_l("卡号不能超过 32 位")),
        Regexp(r"^[A-Za-z0-9]+$", message=_l("卡号只能包含字母和数字"))],
        filters=[strip], render_kw={"autocomplete": "off", "autocapitalize": "characters"})


class MemberCardActionForm(FlaskForm):
    """Report lost / return: a confirm button carrying the request's idempotency key."""

    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")), Length(max=100)])
