"""Coupon templates: list with claim counts per channel, create/edit, issue to a member, claim QR codes."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from backoffice import blueprint, views_alipay_vouchers
from backoffice.common import QR_CHANNELS, claim_qr_download, merchant_id, member_page_url, requires, template_form
from backoffice.forms_coupons import BulkIssueForm, IssueCouponForm, coupon_form, template_data
from backoffice.issuing import issue_to_member
from backoffice.ui import form_page, invalid, refuse
from domain import cards as card_rules
from domain.coupons import CHANNEL_LABELS, KIND_LABELS
from domain.errors import DomainError, NotFound
from extensions import db
from jobs import coupons as coupon_jobs
from jobs.base import enqueue
from models import CardTemplate, CouponCode, CouponTemplate, Level, Tag
from services.coupons import bulk as coupon_bulk, issue as coupon_issuing, templates as coupon_templates
from services.shared.tenancy import get_owned, scoped

FORM = "backoffice/coupons/form.html"
BULK_FORM = "backoffice/coupons/bulk_form.html"
ISSUE = "backoffice/coupons/issue.html"


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
    return render_template("backoffice/coupons/list.html", templates=templates, claims=claims, kind_labels=KIND_LABELS,
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
    levels = db.session.scalars(scoped(Level, merchant_id()).order_by(Level.rank)).all()
    form = template_form(lambda **data: coupon_form(levels, **data), template,
                         lambda row: template_data(row, tz_name))
    context = {"form": form, "coupon": template, "qr_channels": QR_CHANNELS,
               "points_fields": [form[name] for name in form.points_names],
               "alipay_voucher": views_alipay_vouchers.section(template)}
    return form_page(FORM, context, lambda: coupon_templates.save_template(
        db.session, current_user, template, **form.values(tz_name)),
        done=_("优惠券已保存"), back=url_for("backoffice.coupons"))


@blueprint.route("/coupons/<int:template_id>/issue", methods=["GET", "POST"])
@requires("cards.issue")
def coupon_issue(template_id):
    template = _owned(template_id)
    form = IssueCouponForm()
    return issue_to_member(ISSUE, {"form": form, "coupon": template}, "coupon-staff", lambda member_id: (
        coupon_issuing.claim(db.session, current_user.merchant, template.id, member_id, channel="staff",
                             key=form.key.data, issued_by=current_user)), back=_issue_back())


def _issue_back():
    """Managers return to the coupon list; cashiers and customer service to the list they may see."""
    return url_for("backoffice.coupons") if current_user.can("cards.manage") else url_for("backoffice.coupon_issue_list")


def claim_url(template, channel):
    return member_page_url(f"coupons/?t={template.id}&ch={channel}")


@blueprint.route("/coupons/<int:template_id>/qr.png")
@requires("cards.manage")
def coupon_qr_png(template_id):
    return claim_qr_download(_owned(template_id), "coupon", claim_url, "png")


@blueprint.route("/coupons/<int:template_id>/qr.svg")
@requires("cards.manage")
def coupon_qr_svg(template_id):
    return claim_qr_download(_owned(template_id), "coupon", claim_url, "svg")


@blueprint.route("/coupons/issue")
@requires("cards.issue")
def coupon_issue_list():
    """Where cashiers and customer service find the coupons they may give (the full list needs cards.manage)."""
    templates = db.session.scalars(scoped(CouponTemplate, merchant_id()).where(CouponTemplate.active.is_(True))
                                   .order_by(CouponTemplate.id.desc())).all()
    cards = db.session.scalars(scoped(CardTemplate, merchant_id()).where(CardTemplate.disabled.is_(False))
                               .order_by(CardTemplate.kind, CardTemplate.id.desc())).all()
    return render_template("backoffice/coupons/issue_list.html", templates=templates, kind_labels=KIND_LABELS,
                           cards=cards, card_kind_labels=card_rules.KIND_LABELS, card_issue_endpoints=CARD_ISSUE_ENDPOINTS)


# Where each card kind is issued to a member by mobile.
CARD_ISSUE_ENDPOINTS = {"count": "backoffice.cards_issue", "timed": "backoffice.cards_issue",
                        "gift": "backoffice.gift_card_issue", "benefit": "backoffice.benefit_card_issue"}


@blueprint.route("/coupons/bulk")
@requires("cards.manage")
def coupon_bulk_list():
    issues = coupon_bulk.recent(db.session, merchant_id())
    running = any(bulk.status in ("queued", "running") for bulk in issues)
    return render_template("backoffice/coupons/bulk_list.html", issues=issues, running=running,
                           progress=coupon_bulk.progress)


@blueprint.route("/coupons/bulk/new", methods=["GET", "POST"])
@requires("cards.manage")
def coupon_bulk_new():
    """Pick a coupon and a member filter, see how many members match, then confirm to start the job."""
    form = _bulk_form()
    context = {"form": form, "matched": None}
    if not form.is_submitted():
        return render_template(BULK_FORM, **context)
    if not form.validate():
        return invalid(BULK_FORM, **context)
    merchant = current_user.merchant
    try:
        if request.form.get("action") != "confirm":
            filters = coupon_bulk.clean_filters(db.session, merchant, form.filters())
            context["matched"] = coupon_bulk.count_matching(db.session, merchant, filters)
            return render_template(BULK_FORM, **context)
        bulk = coupon_bulk.start(db.session, current_user, form.template_id.data, form.filters())
    except DomainError as exc:
        return refuse(exc, BULK_FORM, **context)
    enqueue(coupon_jobs.bulk_issue, bulk.id)  # sent once the request commits
    total = bulk.total
    flash(_("已开始向 %(n)s 位会员发券", n=total), "success")
    return redirect(url_for("backoffice.coupon_bulk_list"))


def _bulk_form():
    mid = merchant_id()
    form = BulkIssueForm()
    form.template_id.choices = [("", _("请选择优惠券"))] + [(t.id, t.title) for t in db.session.scalars(
        scoped(CouponTemplate, mid).where(CouponTemplate.active.is_(True)).order_by(CouponTemplate.id.desc()))]
    form.level_id.choices = [(0, _("全部等级"))] + [(level.id, level.name) for level in db.session.scalars(
        scoped(Level, mid).order_by(Level.rank))]
    form.tag_id.choices = [(0, _("全部标签"))] + [(tag.id, tag.name) for tag in db.session.scalars(
        scoped(Tag, mid).order_by(Tag.name))]
    return form
