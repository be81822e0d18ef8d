"""Gift cards in the back office: templates, issuing to a member, physical batches and their export, all cards."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, requires, template_form
from web.requests import client_ip
from backoffice.forms_gift_cards import BatchForm, GiftTemplateForm, IssueGiftCardForm, VoidGiftCardForm, template_data
from backoffice.issuing import issue_to_member
from backoffice.ui import form_page
from domain import cards as card_rules
from domain import gift_cards as rules
from domain.coupons import format_code
from domain.errors import DomainError, NotFound
from extensions import db
from models import CardTemplate
from services.cards import gift_batches, gift_holdings, gift_issue, gift_templates, gift_void
from services.shared.tenancy import scoped

FORM = "backoffice/gift_cards/form.html"
ISSUE = "backoffice/gift_cards/issue.html"
BATCHES = "backoffice/gift_cards/batches.html"
GIFT_STATES = (card_rules.INACTIVE, card_rules.CLAIMED, card_rules.ACTIVE, card_rules.TRANSFERRING,
               card_rules.TRANSFERRED, card_rules.USED_UP, card_rules.VOIDED)


def _template(template_id):
    try:
        return gift_templates.gift_template(db.session, merchant_id(), template_id)
    except NotFound:
        abort(404)


@blueprint.route("/gift-cards")
@requires("cards.manage")
def gift_cards():
    templates = db.session.scalars(scoped(CardTemplate, merchant_id()).where(CardTemplate.kind == card_rules.GIFT)
                                   .order_by(CardTemplate.id.desc())).all()
    counts = {t.id: gift_holdings.state_counts(db.session, merchant_id(), t.id) for t in templates}
    return render_template("backoffice/gift_cards/list.html", templates=templates, counts=counts,
                           activation_labels=rules.ACTIVATION_LABELS)


@blueprint.route("/gift-cards/new", methods=["GET", "POST"])
@requires("cards.manage")
def gift_card_new():
    return _save(None)


@blueprint.route("/gift-cards/<int:template_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def gift_card_edit(template_id):
    return _save(_template(template_id))


def _save(template):
    form = template_form(GiftTemplateForm, template, template_data)
    return form_page(FORM, {"form": form, "gift": template},
                     lambda: gift_templates.save_template(db.session, current_user, template, **form.values()),
                     done=_("礼品卡已保存"), back=url_for("backoffice.gift_cards"))


@blueprint.route("/gift-cards/<int:template_id>/issue", methods=["GET", "POST"])
@requires("cards.issue")
def gift_card_issue(template_id):
    template = _template(template_id)
    form = IssueGiftCardForm().for_template(template)
    return issue_to_member(ISSUE, {"form": form, "gift": template}, "gift-staff", lambda member_id: (
        gift_issue.issue_electronic(db.session, current_user.merchant, template.id, member_id,
                                    face_value=form.face_value.data, theme=form.theme.data or None,
                                    channel="staff", key=form.key.data, issued_by=current_user,
                                    price_paid=form.price_paid.fen)),
        back=url_for("backoffice.gift_card_cards", template_id=template.id))


@blueprint.route("/gift-cards/<int:template_id>/cards")
@requires("cards.manage")
def gift_card_cards(template_id):
    template = _template(template_id)
    state = request.args.get("state") if request.args.get("state") in GIFT_STATES else None
    rows = gift_holdings.template_cards(db.session, merchant_id(), template.id, state)
    counts = gift_holdings.state_counts(db.session, merchant_id(), template.id)
    return render_template("backoffice/gift_cards/cards.html", gift=template, rows=rows, state=state,
                           states=GIFT_STATES, counts=counts, label=rules.state_label, mask=_mask,
                           format_card_no=rules.format_card_no, format_code=format_code, voidable=rules.VOIDABLE)


def _mask(mobile):
    """13812345678 -> 138****5678: enough for staff to recognise a holder, not to copy the number."""
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else mobile


@blueprint.route("/gift-cards/cards/<int:card_id>/void", methods=["POST"])
@requires("cards.manage")
def gift_card_void(card_id):
    form = VoidGiftCardForm()
    if not form.validate():
        flash(_("页面已过期，请刷新后再试"), "warning")
        return redirect(url_for("backoffice.gift_cards"))
    try:
        card = gift_void.void(db.session, current_user, card_id, reason=form.reason.data, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return redirect(url_for("backoffice.gift_cards"))
    template_id = card.template_id
    flash(_("礼品卡已作废"), "success")
    return redirect(url_for("backoffice.gift_card_cards", template_id=template_id))


@blueprint.route("/gift-cards/<int:template_id>/batches", methods=["GET", "POST"])
@requires("cards.manage")
def gift_card_batches(template_id):
    template = _template(template_id)
    form = BatchForm().for_template(template)
    return form_page(BATCHES, lambda: {"form": form, "gift": template,
                                       "batches": gift_batches.batches(db.session, merchant_id(), template.id)},
                     lambda: gift_batches.create_batch(db.session, current_user, template.id, form.face_value.data,
                                                       form.quantity.data, form.theme.data or None),
                     form=form, done=lambda batch: _("已生成 %(n)s 张实体卡，请导出后交付印刷", n=batch.quantity),
                     back=url_for("backoffice.gift_card_batches", template_id=template.id))


@blueprint.route("/gift-cards/batches/<int:batch_id>/export.<fmt>")
@requires("cards.manage")
def gift_card_batch_export(batch_id, fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        batch, rows = gift_batches.export_rows(db.session, current_user, batch_id, fmt=fmt, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            abort(404)
        abort(403)
    name = f"gift-cards-batch-{batch.id}.{fmt}"
    if fmt == "csv":
        body, mimetype = gift_batches.csv_bytes(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = gift_batches.xlsx_bytes(rows), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return body, 200, {"Content-Type": mimetype, "Content-Disposition": f'attachment; filename="{name}"',
                       "Cache-Control": "no-store"}
