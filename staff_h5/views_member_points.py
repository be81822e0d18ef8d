"""手动增减积分 on the staff page (seed 000 §6): from a found member's page, add or deduct points with a reason, in
the chosen store, when the merchant has switched it on in 收银设置 and the role may (services/points/counter.py).

The form carries a key minted when it was shown, so a double tap adjusts once; after saving, the page is shown
again (fresh key) with what was done and the member's latest points changes."""
from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from domain.errors import DomainError, NotFound
from extensions import db
from services.members import members as member_service
from services.points import counter, ledger
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required
from web.requests import new_idempotency_key

TEMPLATE = "staff_h5/points/adjust.html"
RECENT = 5


class CounterPointsForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired(_l("请选择增加或扣减积分")),
                                        AnyOf((counter.ADD, counter.DEDUCT), message=_l("请选择增加或扣减积分"))])
    points = StringField(_l("积分"), validators=[DataRequired(_l("请填写积分")),
                                               Length(max=12, message=_l("积分须为 1 到 100000000 之间的整数"))])
    reason = StringField(_l("原因"), validators=[
        DataRequired(_l("请填写调整原因")),
        Length(max=counter.MAX_REASON_LENGTH, message=_l("调整原因不能超过 200 字"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")),
                                  Length(max=100, message=_l("页面已过期，请刷新后重试"))])

    def validate_points(self, field):
        text = (field.data or "").strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= counter.MAX_POINTS:
            raise ValidationError(_("积分须为 1 到 100000000 之间的整数"))

    @property
    def amount(self):
        return int(self.points.data.strip())


def _member(member_id):
    try:
        return member_service.get_visible_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)


def _refused(text):
    return render_template("staff_h5/message.html", title=_("无法调整积分"), icon="warn", text=text,
                           logout=ActionForm()), 403


def _page(member, form, rights, error=None, status=200):
    recent = ledger.history_of(db.session, current_user.merchant_id, member.id, limit=RECENT)
    return render_template(TEMPLATE, member=member, form=form, rights=rights, recent=recent, error=error,
                           logout=ActionForm()), status


def _fresh_form(rights):
    direction = counter.ADD if rights.may_add else counter.DEDUCT
    return CounterPointsForm(formdata=None, key=new_idempotency_key("counter-points"), direction=direction)


def _first_error(form):
    return next((str(errors[0]) for errors in form.errors.values() if errors), None)


def _not_switched_on():
    return _refused(_("本店未开启店员手动增减积分，请联系店长在后台「收银设置」开启。")
                    if current_user.can(counter.PERMISSION) else _("您的角色不能调整会员积分，请联系店长。"))


@blueprint.route("/members/<int:member_id>/points")
@staff_required
def member_points_page(member_id):
    member = _member(member_id)  # another merchant's member is not found, whatever the switches say
    rights = counter.allowed(db.session, current_user)
    if not rights.any:
        return _not_switched_on()
    return _page(member, _fresh_form(rights), rights)


@blueprint.route("/members/<int:member_id>/points", methods=["POST"])
@staff_required
def member_points_adjust(member_id):
    member = _member(member_id)
    rights = counter.allowed(db.session, current_user)
    if not rights.any:
        return _not_switched_on()
    form = CounterPointsForm()
    if not form.validate_on_submit():
        return _page(member, form, rights, error=_first_error(form) or _("页面已过期，请刷新后重试"), status=400)
    try:
        txn = counter.adjust(db.session, current_user, member.id, form.direction.data, form.amount,
                             key=form.key.data, reason=form.reason.data, store_id=g.store.id)
    except DomainError as exc:
        db.session.rollback()
        return _page(member, form, rights, error=exc.message, status=exc.http_status)
    flash(_("已%(what)s %(n)s 积分，当前积分 %(balance)s", what=_("增加") if txn.amount > 0 else _("扣减"),
            n=abs(txn.amount), balance=txn.balance_after), "success")
    return redirect(url_for("staff_h5.member_points_page", member_id=member.id))


@blueprint.app_template_global("counter_points")
def counter_points(actor):
    """For the member page's 积分 link: what the staff member may do (nothing when the merchant switched it off)."""
    return counter.allowed(db.session, actor)
