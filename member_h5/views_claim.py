"""Claim the member card: phone verified by an SMS code, the merchant's required fields, optional profile."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain.errors import DomainError, IdentityTaken
from extensions import db
from member_h5 import blueprint
from member_h5.common import current_login, safe_next
from member_h5.join_links import remembered_touch
from web.requests import client_ip
from member_h5.forms import ClaimForm, attach_errors, industry_values, with_industry_fields
from services.members import fields as member_fields, join as member_join, sms_codes
from services.members.sms_codes import SmsCodeRejected, SmsRateLimited

TEMPLATE = "member_h5/claim.html"


@blueprint.route("/claim", methods=["GET", "POST"])
def claim():
    login = current_login()
    if login is None:
        return redirect(url_for("member_h5.index", next=url_for("member_h5.claim", next=request.args.get("next"))))
    if member_join.member_for(db.session, login) is not None:
        return redirect(_after_claim())
    field_defs = member_fields.active_fields(db.session, g.merchant.id)
    form = with_industry_fields(ClaimForm, field_defs)
    if not form.is_submitted():
        return _render(form, login)
    if request.form.get("action") == "send_code":
        return _send_code(form, login)
    return _claim(form, login, field_defs)


def _send_code(form, login):
    if not form.mobile.validate(form):
        return _render(form, login, 400)
    try:
        sms_codes.request_code(db.session, g.merchant, form.mobile.data, ip=client_ip())
    except SmsRateLimited as exc:
        db.session.rollback()
        form.mobile.errors = [exc.message]
        return _render(form, login, 429)
    except DomainError as exc:
        db.session.rollback()
        form.mobile.errors = [exc.message]
        return _render(form, login, 400)
    flash(_("验证码已发送至 %(mobile)s，5 分钟内有效", mobile=form.mobile.data), "success")
    return _render(form, login)


def _claim(form, login, field_defs):
    if not form.validate():
        return _render(form, login, 400)
    if not form.code.data:
        form.code.errors = [_("请填写短信验证码")]
        return _render(form, login, 400)
    profile = member_join.Profile(name=form.name.data, gender=form.gender.data or "unknown",
                                  birthday=form.birthday.data, custom_fields=industry_values(form, field_defs))
    try:
        member_join.claim(db.session, g.merchant, login, mobile=form.mobile.data, code=form.code.data,
                          profile=profile, touch=remembered_touch())
    except SmsCodeRejected as exc:
        db.session.rollback()
        if member_join.member_for(db.session, login) is not None:
            return redirect(_after_claim())  # a double submit: the first one won
        form.code.errors = [exc.message]
        return _render(form, login, 400)
    except IdentityTaken as exc:
        db.session.rollback()
        form.mobile.errors = [exc.message]
        return _render(form, login, 409)
    except DomainError as exc:
        db.session.rollback()
        if not attach_errors(form, exc):
            form.mobile.errors = [exc.message]
        return _render(form, login, 400)
    flash(_("会员卡领取成功"), "success")
    return redirect(_after_claim())


def _after_claim():
    """Where a new member goes: back to what sent them here (a reward QR on a receipt), else the member centre."""
    wanted = request.args.get("next")
    return safe_next(wanted) if wanted else url_for("member_h5.centre")


def _render(form, login, status=200):
    wait = 0
    if form.mobile.data and not form.mobile.errors:
        try:
            wait = sms_codes.seconds_until_resend(db.session, g.merchant.id, form.mobile.data)
        except DomainError:
            wait = 0
    form.code.data = ""
    return render_template(TEMPLATE, form=form, login=login, resend_wait=wait), status
