"""Forms of 专属导购: one member's guide changed on their page, and members moved between guides (导购分配). Which
guide may be chosen is the service's to decide (services/recruitment/guides.py), so the choices are not checked here:
another merchant's staff id is refused there, in Chinese."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from services.recruitment.guides import MAX_REASON

REMOVE = "remove"  # the 解除绑定 choice of a member's guide
SCOPES = (("all", _l("该导购的全部会员")), ("selected", _l("下方勾选的会员")), ("audience", _l("属于某个人群的会员")))


def _reason():
    return StringField(_l("原因"), validators=[DataRequired(_l("请填写原因")),
                                             Length(max=MAX_REASON, message=_l("原因不能超过 200 个字符"))],
                       render_kw={"maxlength": MAX_REASON, "placeholder": _l("如：导购离职、顾客要求更换")})


def guide_choices(guides):
    return [(str(staff.id), staff.name) for staff in guides]


class MemberGuideForm(FlaskForm):
    guide_id = SelectField(_l("专属导购"), validators=[DataRequired(_l("请选择新导购"))], validate_choice=False)
    reason = _reason()

    def setup(self, guides, current_guide_id=None):
        choices = [("", _l("请选择"))] + [c for c in guide_choices(guides) if c[0] != str(current_guide_id)]
        if current_guide_id is not None:
            choices.append((REMOVE, _l("解除绑定（不再由导购服务）")))
        self.guide_id.choices = choices
        return self

    def chosen_guide_id(self):
        """The guide's id as posted, or None for 解除绑定."""
        return None if self.guide_id.data == REMOVE else self.guide_id.data


class GuideMoveForm(FlaskForm):
    from_guide_id = HiddenField(validators=[DataRequired(_l("请先选择原导购")),
                                            Length(max=12, message=_l("原导购有误，请刷新后重试"))])
    to_guide_id = SelectField(_l("转给"), validators=[DataRequired(_l("请选择新导购"))], validate_choice=False)
    scope = RadioField(_l("转移范围"), choices=SCOPES, default="all", validate_choice=False)
    audience_id = SelectField(_l("人群"), validators=[Optional()], validate_choice=False)
    reason = _reason()

    def setup(self, guides, from_guide_id, audiences):
        self.to_guide_id.choices = [("", _l("请选择"))] + [c for c in guide_choices(guides)
                                                           if c[0] != str(from_guide_id)]
        self.audience_id.choices = [("", _l("请选择人群"))] + [(str(a.id), a.name) for a in audiences]
        if not self.is_submitted():
            self.from_guide_id.data = str(from_guide_id) if from_guide_id else ""
        return self

    def validate_scope(self, field):
        if field.data not in dict(SCOPES):
            raise ValidationError(_l("请选择转移范围"))
