"""Benefit cards (权益卡): templates, list/delist and disable/enable, claim QR codes, issuing, holders, refunds."""
from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.benefit_card_screens import card_of_kind, refund_page, template_action, template_form_page
from backoffice.common import QR_CHANNELS, claim_qr_download, merchant_id, member_page_url, requires, template_form
from backoffice.forms_benefit_cards import BenefitCardForm, IssueBenefitCardForm, RefundForm, template_data
from backoffice.issuing import issue_to_member
from domain.benefit_cards import in_force
from domain.clock import now_utc
from domain.errors import NotFound
from extensions import db
from services.cards import benefit_holdings, benefit_issue, benefit_refunds, benefit_templates, benefit_texts

FORM = "backoffice/benefit_cards/form.html"
ISSUE = "backoffice/benefit_cards/issue.html"
REFUND = "backoffice/benefit_cards/refund.html"


def _template(template_id):
    """A benefit card of this merchant; a paid membership plan has its own screen (views_membership.py): 404."""
    try:
        template = benefit_templates.get_template(db.session, merchant_id(), template_id)
    except NotFound:
        abort(404)
    if template.membership:
        abort(404)
    return template


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
    form = template_form(BenefitCardForm, template, template_data)
    return template_form_page(FORM, form, template, {"card": template, "qr_channels": QR_CHANNELS},
                              lambda pack: benefit_templates.save_template(db.session, current_user, template,
                                                                           **form.values(pack)),
                              done=_("权益卡已保存"), back=url_for("backoffice.benefit_cards"))


@blueprint.route("/benefit-cards/<int:template_id>/<any(list, delist, disable, enable):action>", methods=["POST"])
@requires("cards.manage")
def benefit_card_action(template_id, action):
    return template_action(_template(template_id), action, url_for("backoffice.benefit_cards"))


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
    card = card_of_kind(card_id, membership=False)
    return refund_page(REFUND, RefundForm(), card, "benefit-refund", done=_("已退卡"),
                       back=url_for("backoffice.benefit_card_refunds"),
                       context={"order_id": benefit_holdings.order_id_of(card)})


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
