"""Count and timed card templates: list with issued counts, create/edit, issue to a member, issued cards, void."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires, template_form
from web.requests import client_ip
from backoffice.forms_cards import CardTemplateForm, IssueCardForm, VoidCardForm, new_template_data, template_data
from backoffice.issuing import issue_to_member
from backoffice.ui import form_page
from domain import cards as card_rules
from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from extensions import db
from models import Card, CardTemplate
from services.cards import count_timed_closing, count_timed_issue, count_timed_templates
from services.shared.tenancy import get_owned, scoped

FORM = "backoffice/cards/form.html"
ISSUE = "backoffice/cards/issue.html"
PER_PAGE = 50


@blueprint.route("/cards")
@requires("cards.manage")
def cards():
    mid = merchant_id()
    templates = db.session.scalars(scoped(CardTemplate, mid).where(CardTemplate.kind.in_(count_timed_templates.KINDS))
                                   .order_by(CardTemplate.id.desc())).all()
    held = {}
    for template_id, state, n in db.session.execute(
            select(Card.template_id, Card.state, func.count()).where(
                Card.merchant_id == mid, Card.kind.in_(count_timed_templates.KINDS), Card.extended_into_id.is_(None))
            .group_by(Card.template_id, Card.state)):
        held.setdefault(template_id, {})[state] = n
    return render_template("backoffice/cards/list.html", templates=templates, held=held,
                           kind_labels=card_rules.KIND_LABELS, state_label=card_rules.state_label)


@blueprint.route("/cards/new", methods=["GET", "POST"])
@requires("cards.manage")
def cards_new():
    return _save(None)


@blueprint.route("/cards/<int:template_id>/edit", methods=["GET", "POST"])
@requires("cards.manage")
def cards_edit(template_id):
    return _save(_owned(template_id))


def _owned(template_id):
    try:
        template = get_owned(db.session, CardTemplate, merchant_id(), template_id)
    except NotFound:
        abort(404)
    if template.kind not in count_timed_templates.KINDS:
        abort(404)
    return template


def _save(template):
    kind = request.args.get("kind") if request.args.get("kind") in count_timed_templates.KINDS else "count"
    form = template_form(CardTemplateForm, template, template_data, new_template_data(kind))
    return form_page(FORM, {"form": form, "card_template": template},
                     lambda: count_timed_templates.save_template(db.session, current_user, template, **form.values()),
                     done=_("卡已保存"), back=url_for("backoffice.cards"))


@blueprint.route("/cards/<int:template_id>/issue", methods=["GET", "POST"])
@requires("cards.issue")
def cards_issue(template_id):
    template = _owned(template_id)
    form = IssueCardForm()
    form.tier_key.choices = [(t["key"], f"{t['label']}（{t['days']} 天）") for t in template.tiers or ()]

    def issue(member_id):
        return count_timed_issue.issue(db.session, current_user.merchant, template.id, member_id, channel="staff",
                                       key=form.key.data, issued_by=current_user,
                                       tier_key=form.tier_key.data if template.kind == card_rules.TIMED else None)

    def done(card):
        if card.extended_into_id is not None:  # a timed card the member already held was lengthened instead
            return _("会员 %(mobile)s 已有此卡，已为其续期", mobile=form.mobile.data)
        return _("已发放给会员 %(mobile)s", mobile=form.mobile.data)

    return issue_to_member(ISSUE, {"form": form, "card_template": template}, "card-staff", issue,
                           back=url_for("backoffice.cards"), done=done)


@blueprint.route("/cards/<int:template_id>/holders")
@requires("cards.manage")
def cards_holders(template_id):
    template = _owned(template_id)
    page = max(parse_int(request.args.get("page"), 1), 1)
    pagination = db.paginate(scoped(Card, merchant_id()).where(Card.template_id == template.id)
                             .order_by(Card.id.desc()), page=page, per_page=PER_PAGE, error_out=False)
    return render_template("backoffice/cards/holders.html", card_template=template, pagination=pagination,
                           now=now_utc(), state_label=card_rules.state_label, void_form=VoidCardForm(),
                           voidable=_voidable)


def _voidable(card):
    return card.extended_into_id is None and card_rules.can_move(card.kind, card.state, card_rules.VOIDED)


@blueprint.route("/cards/<int:template_id>/holders/<int:card_id>/void", methods=["POST"])
@requires("cards.manage")
def cards_void(template_id, card_id):
    template = _owned(template_id)
    form = VoidCardForm()
    back = redirect(url_for("backoffice.cards_holders", template_id=template.id))
    if not form.validate():
        flash(_("页面已过期，请刷新后再试"), "warning")
        return back
    try:
        card = get_owned(db.session, Card, merchant_id(), card_id)
        if card.template_id != template.id:
            raise NotFound("记录不存在")
        count_timed_closing.void(db.session, current_user, card.id, ip=client_ip())
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return back
    flash(_("卡已作废"), "success")
    return back
