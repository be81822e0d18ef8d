"""同步到支付宝商家券 on a coupon template's page: the template made an Alipay merchant voucher (activity), and its
state there (codes in members' Alipay card packages, used, waiting with Alipay's refusal)."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from domain.errors import DomainError, NotFound
from extensions import db
from models import CouponTemplate
from services.alipay_vouchers import activities
from services.shared.tenancy import get_owned

STATE_LABELS = {"pending": "同步中", "active": "已同步", "failed": "同步失败", "stopped": "已停止"}


def section(template):
    """The coupon page's 支付宝商家券 section (None for a new template)."""
    if template is None:
        return None
    shown = activities.overview(db.session, merchant_id(), template.id)
    activity = shown["activity"]
    shown["state_label"] = STATE_LABELS.get(activity.state, activity.state) if activity else _("未同步")
    shown["expressible"] = template.kind in activities.EXPRESSIBLE
    return shown


@blueprint.route("/coupons/<int:template_id>/alipay-voucher", methods=["POST"])
@requires("cards.manage")
def coupon_alipay_voucher(template_id):
    template = _owned(template_id)
    back = _back(template)
    try:
        activity = activities.sync(db.session, current_user.merchant, template.id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(back)
    if activity.state == "active":
        flash(_("已同步到支付宝商家券，会员领到的券会放入其支付宝卡包"), "success")
    else:
        flash(_("同步到支付宝失败：%(why)s。可稍后再试。", why=activity.sync_error), "warning")
    return redirect(back)


@blueprint.route("/coupons/<int:template_id>/alipay-voucher/stop", methods=["POST"])
@requires("cards.manage")
def coupon_alipay_voucher_stop(template_id):
    template = _owned(template_id)
    try:
        activities.stop(db.session, current_user.merchant, template.id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(_back(template))
    flash(_("支付宝商家券已停止：新领的券不再放入支付宝卡包"), "success")
    return redirect(_back(template))


def _owned(template_id):
    try:
        return get_owned(db.session, CouponTemplate, merchant_id(), template_id)
    except NotFound:
        abort(404)


def _back(template):
    return url_for("backoffice.coupon_edit", template_id=template.id) + "#alipay-voucher"
