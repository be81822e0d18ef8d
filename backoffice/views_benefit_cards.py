"""Benefit cards (权益卡): templates, list/delist and disable/enable, claim QR codes, issuing, holders, refunds."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import QR_CHANNELS, claim_qr_download, merchant_id, member_page_url, requires, template_form
from web.requests import new_idempotency_key
from backoffice.forms_benefit_cards import (
    PACK_PREFIX,
    ActionForm,
    BenefitCardForm,
    IssueBenefitCardForm,
    RefundForm,
    pack_counts,
    template_data,
)
from backoffice.issuing import issue_to_member
from backoffice.ui import form_page
from domain.benefit_cards import in_force
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from models import CouponTemplate
from services.cards import benefit_holdings, benefit_issue, benefit_refunds, benefit_templates, benefit_texts
from services.shared.tenancy import scoped

FORM = "backoffice/benefit_cards/form.html"
ISSUE = "backoffice/benefit_cards/issue.html"
REFUND = "backoffice/benefit_cards/refund.html"
ACTIONS = {"list": benefit_templates.list_template, "delist": benefit_templates.delist_template,
           "disable": benefit_templates.disable, "enable": benefit_templates.enable}
ACTION_DONE = {"list": _l("已上架"), "delist": _l("已下架"), "disable": _l("已停用"), "enable": _l("已启用")}


def _template(template_id):
    """A benefit card of this merchant; a paid membership plan has its own screen (views_membership.py): 404."""
    try:
        template = benefit_templates.get_template(db.session, merchant_id(), template_id)
    except NotFound:
        abort(404)
    if template.membership:
        abort(404)
    return template


def _card(card_id):
    try:
        card = benefit_holdings.get_card(db.session, merchant_id(), card_id)
    except NotFound:
        abort(404)
    if card.template.membership:
        abort(404)
    return card


@blueprint.route("/benefit-cards")
@requires("cards.manage")
def benefit_cards():
    return render_template("backoffice/benefit_cards/list.html",
                           templates=benefit_templates.templates(db.session, merchant_id()),
                           lines=lambda t: benefit_texts.benefit_lines(db.session, t), price=benefit_texts.price_text)


@blueprint.route("/benefit-cards/new", methods=["GET", "POST"])
@requires("cards.manage")
def benefit_card_new():
    return _save(None)


@blueprint.route("/benefit-cards/<int:template_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def benefit_card_edit(template_id):
    return _save(_template(template_id))


def _save(template):
    mid = merchant_id()
    form = template_form(BenefitCardForm, template, template_data)
    coupon_templates = db.session.scalars(scoped(CouponTemplate, mid).order_by(CouponTemplate.id)).all()
    if form.is_submitted():
        counts, pack_error = pack_counts(request.form, coupon_templates)
    else:
        counts, pack_error = {e["template_id"]: e["count"] for e in (template.gift_pack if template else [])}, None
    context = {"form": form, "card": template, "coupon_templates": coupon_templates, "counts": counts,
               "pack_error": pack_error, "pack_prefix": PACK_PREFIX, "qr_channels": QR_CHANNELS}
    pack = [{"template_id": tid, "count": n} for tid, n in counts.items()]
    return form_page(FORM, context, lambda: benefit_templates.save_template(db.session, current_user, template,
                                                                            **form.values(pack)),
                     done=_("权益卡已保存"), back=url_for("backoffice.benefit_cards"), ok=not pack_error)


@blueprint.route("/benefit-cards/<int:template_id>/<any(list, delist, disable, enable):action>", methods=["POST"])
@requires("cards.manage")
def benefit_card_action(template_id, action):
    template = _template(template_id)
    if not ActionForm().validate():
        abort(400)
    ACTIONS[action](db.session, current_user, template.id)
    flash(_("%(title)s %(done)s", title=template.title, done=ACTION_DONE[action]), "success")
    return redirect(url_for("backoffice.benefit_cards"))


@blueprint.route("/benefit-cards/<int:template_id>/issue", methods=["GET", "POST"])
@requires("cards.issue")
def benefit_card_issue(template_id):
    template = _template(template_id)
    form = IssueBenefitCardForm()
    return issue_to_member(ISSUE, {"form": form, "card": template}, "benefit-staff", lambda member_id: (
        benefit_issue.issue(db.session, current_user.merchant, template.id, member_id, channel="staff",
                            key=form.key.data, issued_by=current_user, price_paid=form.price_paid.fen)),
        back=url_for("backoffice.benefit_card_holders", template_id=template.id))


@blueprint.route("/benefit-cards/<int:template_id>/holders")
@requires("cards.manage")
def benefit_card_holders(template_id):
    template, cards = benefit_holdings.holders(db.session, merchant_id(), _template(template_id).id)
    return render_template("backoffice/benefit_cards/holders.html", card=template, cards=cards,
                           state=benefit_texts.state_text, can_refund=current_user.can("cards.refund"),
                           in_force=lambda c: in_force(c.state, c.starts_at, c.ends_at, now_utc()))


@blueprint.route("/benefit-cards/cards/<int:card_id>/refund", methods=["GET", "POST"])
@requires("cards.refund")
def benefit_card_refund(card_id):
    card = _card(card_id)
    form = RefundForm()
    context = {"form": form, "card": card, "state": benefit_texts.state_text(card)}
    if not form.is_submitted():
        form.key.data = new_idempotency_key("benefit-refund")
    return form_page(REFUND, context, lambda: benefit_refunds.refund(
        db.session, current_user, card.id, with_money=form.with_money(),
        amount=form.amount.fen if form.with_money() else 0, take_back_coupons=form.take_back.data,
        reason=form.reason.data, key=form.key.data),
        done=_("已退卡"), back=url_for("backoffice.benefit_card_refunds"))


@blueprint.route("/benefit-cards/refunds")
@requires("cards.manage")
def benefit_card_refunds():
    return render_template("backoffice/benefit_cards/refunds.html",
                           refunds=benefit_refunds.refunds(db.session, merchant_id()))  # without paid memberships


def claim_url(template, channel):
    return member_page_url(f"benefit-cards/{template.id}?ch={channel}")


def _free_template(template_id):
    template = _template(template_id)
    if template.price is not None:
        abort(404)  # a paid card is bought, not claimed by scanning
    return template


@blueprint.route("/benefit-cards/<int:template_id>/qr.png")
@requires("cards.manage")
def benefit_card_qr_png(template_id):
    return claim_qr_download(_free_template(template_id), "benefit-card", claim_url, "png")


@blueprint.route("/benefit-cards/<int:template_id>/qr.svg")
@requires("cards.manage")
def benefit_card_qr_svg(template_id):
    return claim_qr_download(_free_template(template_id), "benefit-card", claim_url, "svg")
