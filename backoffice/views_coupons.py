"""Coupon templates: list with claim counts per channel, create/edit, issue to a member, claim QR codes."""
import io

import qrcode
import qrcode.image.svg
from qrcode.image.pure import PyPNGImage
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from backoffice import blueprint
from backoffice.common import commit, merchant_id, new_idempotency_key, requires
from backoffice.forms_coupons import CouponTemplateForm, IssueCouponForm, template_data
from backoffice.ui import invalid, refuse
from domain.coupons import KIND_LABELS
from domain.errors import DomainError, NotFound
from extensions import db
from models import CouponCode, CouponTemplate, Member, Store
from services import coupons as coupon_service
from services.tenancy import get_owned, scoped

FORM = "backoffice/coupon_form.html"
ISSUE = "backoffice/coupon_issue.html"
QR_CHANNELS = {"poster_qr": "海报二维码", "shop_qr": "店内二维码"}
CHANNEL_LABELS = {
    "follow_gift": "关注有礼", "menu": "公众号菜单", "poster_qr": "海报二维码", "receipt_qr": "小票二维码",
    "staff": "员工发放", "mass_message": "群发消息", "template_message": "模板消息", "shop_qr": "店内二维码",
    "points_exchange": "积分兑换", "purchase": "购买", "h5": "会员中心", "bulk": "批量发放", "friend": "好友转赠",
}


@blueprint.route("/coupons")
@requires("cards.manage")
def coupons():
    mid = merchant_id()
    templates = db.session.scalars(scoped(CouponTemplate, mid).order_by(CouponTemplate.id.desc())).all()
    claims = {}
    for template_id, channel, n in db.session.execute(
            select(CouponCode.template_id, CouponCode.channel, func.count())
            .where(CouponCode.merchant_id == mid).group_by(CouponCode.template_id, CouponCode.channel)):
        claims.setdefault(template_id, {})[channel] = n
    return render_template("backoffice/coupons.html", templates=templates, claims=claims, kind_labels=KIND_LABELS,
                           channel_labels=CHANNEL_LABELS)


@blueprint.route("/coupons/new", methods=["GET", "POST"])
@requires("cards.manage")
def coupon_new():
    return _save(None)


@blueprint.route("/coupons/<int:template_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def coupon_edit(template_id):
    return _save(_owned(template_id))


def _owned(template_id):
    try:
        return get_owned(db.session, CouponTemplate, merchant_id(), template_id)
    except NotFound:
        abort(404)


def _save(template):
    tz_name = current_user.merchant.timezone
    if request.method == "POST":
        form = CouponTemplateForm()
    elif template is not None:
        form = CouponTemplateForm(data=template_data(template, tz_name))
    else:
        form = CouponTemplateForm()
    form.store_ids.choices = [(s.id, s.name) for s in db.session.scalars(
        scoped(Store, merchant_id()).order_by(Store.id))]
    context = {"form": form, "coupon": template, "qr_channels": QR_CHANNELS}
    if not form.is_submitted():
        return render_template(FORM, **context)
    if not form.validate():
        return invalid(FORM, **context)
    try:
        coupon_service.save_template(db.session, current_user, template, **form.values(tz_name))
    except DomainError as exc:
        return refuse(exc, FORM, **context)
    commit()
    flash(_("优惠券已保存"), "success")
    return redirect(url_for("backoffice.coupons"))


@blueprint.route("/coupons/<int:template_id>/issue", methods=["GET", "POST"])
@requires("cards.issue")
def coupon_issue(template_id):
    template = _owned(template_id)
    form = IssueCouponForm()
    if not form.is_submitted():
        form.key.data = new_idempotency_key("coupon-staff")
        return render_template(ISSUE, form=form, coupon=template)
    if not form.validate():
        return invalid(ISSUE, form=form, coupon=template)
    member_id = db.session.scalar(select(Member.id).where(Member.merchant_id == merchant_id(),
                                                          Member.mobile == form.mobile.data))
    if member_id is None:
        form.mobile.errors.append(_("没有这个手机号的会员"))
        return invalid(ISSUE, form=form, coupon=template)
    try:
        coupon_service.claim(db.session, current_user.merchant, template.id, member_id, channel="staff",
                             key=form.key.data, issued_by=current_user)
    except DomainError as exc:
        return refuse(exc, ISSUE, form=form, coupon=template)
    commit()
    flash(_("已发放给会员 %(mobile)s", mobile=form.mobile.data), "success")
    return redirect(url_for("backoffice.coupons"))


def claim_url(template, channel):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/h5/{current_user.merchant.slug}/coupons/?t={template.id}&ch={channel}"


def _qr(template_id):
    template = _owned(template_id)
    channel = request.args.get("channel", "poster_qr")
    if channel not in QR_CHANNELS:
        abort(404)
    return template, channel, qrcode.QRCode(border=2, box_size=10)


@blueprint.route("/coupons/<int:template_id>/qr.png")
@requires("cards.manage")
def coupon_qr_png(template_id):
    template, channel, code = _qr(template_id)
    code.add_data(claim_url(template, channel))
    buffer = io.BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", as_attachment=True,
                     download_name=f"coupon-{template.id}-{channel}.png")


@blueprint.route("/coupons/<int:template_id>/qr.svg")
@requires("cards.manage")
def coupon_qr_svg(template_id):
    template, channel, code = _qr(template_id)
    code.add_data(claim_url(template, channel))
    buffer = io.BytesIO()
    code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/svg+xml", as_attachment=True,
                     download_name=f"coupon-{template.id}-{channel}.svg")

