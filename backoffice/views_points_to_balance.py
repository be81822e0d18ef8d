"""积分转储值 in the back office: the merchant sets the rate; staff convert points for a member at the till."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip, new_idempotency_key
from backoffice.forms_points_to_balance import PointsRateForm, PointsToBalanceForm
from backoffice.ui import form_page
from domain.errors import DomainError
from extensions import db
from services.members import members as member_service
from services.wallet import points_to_balance

CONVERT = "backoffice/wallet/points_to_balance.html"


@blueprint.route("/stored-value/points-rate", methods=["POST"])
@requires("settings.manage")
def points_rate():
    form = PointsRateForm()
    if not form.validate():
        flash(next(iter(sum(form.errors.values(), [])), _("页面已过期，请刷新后重试")), "warning")
        return redirect(url_for("backoffice.stored_value"))
    try:
        points_to_balance.set_rate(db.session, current_user, form.points_per_yuan.data, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("backoffice.stored_value"))
    flash(_("积分转储值已设置") if form.points_per_yuan.data else _("已关闭积分转储值"), "success")
    return redirect(url_for("backoffice.stored_value"))


@blueprint.route("/members/<int:member_id>/points-to-balance", methods=["GET", "POST"])
@requires("points.adjust")
def member_points_to_balance(member_id):
    member = member_service.get_visible_member(db.session, current_user, member_id)
    form = PointsToBalanceForm()
    rate = points_to_balance.rate_of(db.session, merchant_id())
    context = {"form": form, "member": member, "rate": rate}
    if request.method == "GET":
        form.key.data = new_idempotency_key("points-to-balance")
    return form_page(CONVERT, context, lambda: points_to_balance.convert(
        db.session, current_user.merchant, member.id, form.points.data, key=form.key.data, operator=current_user),
        done=lambda moved: _("已将 %(points)s 积分转为 ¥%(yuan)s 储值", points=-moved[0].amount,
                             yuan=f"{moved[1].amount / 100:.2f}"),
        back=url_for("backoffice.member_detail", member_id=member.id))
