"""帮顾客办理 on the staff page (from the 会员 tab): the staff member types the customer's phone and sends a code, the
customer reads it out, the staff member fills in the member's details (the merchant's industry fields too) and
notes, then 办理. Afterwards the page shows the code the customer scans next: the official account's, else the
store's (services/recruitment/assisted.py)."""
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from domain.errors import DomainError
from extensions import db
from models import Member
from services.members import fields as member_fields, join as member_join, qr as member_qr
from services.members.sms_codes import SmsCodeRejected, SmsRateLimited
from services.recruitment import assisted
from services.shared.tenancy import scoped
from staff_h5 import blueprint
from staff_h5.forms import ActionForm
from staff_h5.views import staff_required
from web.profile_forms import ProfileFields, attach_errors, industry_values, mobile_check, with_industry_fields
from web.requests import client_ip

TEMPLATE = "staff_h5/members/assisted_join.html"
DONE_TEMPLATE = "staff_h5/members/assisted_join_done.html"
JOINED_KEY = "assisted_joined"  # the member just joined, for the page after the redirect


class AssistedJoinForm(ProfileFields, FlaskForm):
    mobile = StringField(_l("手机号"), validators=[DataRequired(_l("请填写顾客手机号")), Length(max=20), mobile_check],
                         render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    code = StringField(_l("验证码"), validators=[Optional(),
                                                 Regexp(r"^[0-9]{6}$", message=_l("请输入 6 位数字验证码"))],
                       render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 6})
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=assisted.MAX_NOTES,
                                                                    message=_l("备注不能超过 500 个字"))],
                          render_kw={"maxlength": assisted.MAX_NOTES, "rows": 3})


def _refused():
    return render_template("staff_h5/message.html", title=_("无法办理"), icon="warn",
                           text=_("您的角色不能为顾客办理会员，请联系店长。"), logout=ActionForm()), 403


@blueprint.route("/members/join", methods=["GET", "POST"])
@staff_required
def assisted_join():
    if not assisted.may_assist(current_user):
        return _refused()
    field_defs = member_fields.active_fields(db.session, current_user.merchant_id)
    form = with_industry_fields(AssistedJoinForm, field_defs)
    if not form.is_submitted():
        return _render(form)
    if request.form.get("action") == "send_code":
        return _send_code(form)
    return _join(form, field_defs)


def _send_code(form):
    if not form.mobile.validate(form):
        return _render(form, 400)
    merchant = current_user.merchant
    try:
        assisted.send_code(db.session, merchant, current_user, form.mobile.data, ip=client_ip())
    except SmsRateLimited as exc:
        db.session.rollback()
        form.mobile.errors = [exc.message]
        return _render(form, 429)
    except DomainError as exc:
        db.session.rollback()
        form.mobile.errors = [exc.message]
        return _render(form, exc.http_status)
    flash(_("验证码已发送至 %(mobile)s，请顾客告知 6 位验证码", mobile=form.mobile.data), "success")
    if assisted.existing_member(db.session, merchant, form.mobile.data) is not None:
        flash(_("该手机号已是会员，验证后只补全其空白资料"), "info")
    return _render(form)


def _join(form, field_defs):
    if not form.validate():
        return _render(form, 400)
    if not form.code.data:
        form.code.errors = [_("请填写顾客收到的短信验证码")]
        return _render(form, 400)
    profile = member_join.Profile(name=form.name.data, gender=form.gender.data or "unknown",
                                  birthday=form.birthday.data, custom_fields=industry_values(form, field_defs))
    try:
        joined = assisted.join(db.session, current_user.merchant, g.store, current_user, mobile=form.mobile.data,
                               code=form.code.data, profile=profile, notes=form.notes.data)
    except SmsCodeRejected as exc:
        db.session.rollback()
        form.code.errors = [exc.message]
        return _render(form, 400)
    except DomainError as exc:
        db.session.rollback()
        if not attach_errors(form, exc):
            form.mobile.errors = [exc.message]
        return _render(form, exc.http_status)
    session[JOINED_KEY] = {"m": current_user.merchant_id, "id": joined.member.id, "created": joined.created,
                           "opened": joined.opened}
    return redirect(url_for("staff_h5.assisted_join_done"))


def _render(form, status=200):
    wait = 0
    if form.mobile.data and not form.mobile.errors:
        try:
            wait = assisted.seconds_until_resend(db.session, current_user.merchant, form.mobile.data)
        except DomainError:
            wait = 0
    form.code.data = ""
    return render_template(TEMPLATE, form=form, resend_wait=wait, logout=ActionForm()), status


@blueprint.route("/members/join/done")
@staff_required
def assisted_join_done():
    """The member just joined, and the code the customer scans next."""
    joined = session.get(JOINED_KEY)
    if not isinstance(joined, dict) or joined.get("m") != current_user.merchant_id \
            or not isinstance(joined.get("id"), int):
        return redirect(url_for("staff_h5.assisted_join"))
    member = db.session.scalars(scoped(Member, current_user.merchant_id).where(Member.id == joined["id"])).first()
    if member is None:
        return redirect(url_for("staff_h5.assisted_join"))
    shown = assisted.next_code(db.session, current_user.merchant, g.store, current_user)
    label = _("关注公众号") if shown.kind == "wechat" else _("领取会员卡")
    return render_template(DONE_TEMPLATE, member=member, created=bool(joined.get("created")),
                           opened=bool(joined.get("opened")), next_kind=shown.kind,
                           next_qr=Markup(member_qr.svg(shown.url, label=label)), logout=ActionForm())
