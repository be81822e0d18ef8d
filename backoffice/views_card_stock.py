"""实体卡 in the back office: batches of physical member cards with their counts per state, making a batch (制卡),
a batch's cards (paged, by state, by number), the printing file, cards handed to a store (发卡到门店), one card
handed out or taken back. Binding a card to a member is the member page's 绑定实体卡 and the staff page's 发卡."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, parse_int, requires, run_and_flash, store_choices
from backoffice.forms_card_stock import BatchForm, CardActionForm, CardIssueForm, IssueStoreForm
from backoffice.ui import form_page
from domain import card_stock as rules
from domain.errors import DomainError, NotFound
from extensions import db
from services.card_stock import batches, printing, states
from web.requests import client_ip

LIST = "backoffice/card_stock/list.html"
NEW = "backoffice/card_stock/new.html"
DETAIL = "backoffice/card_stock/detail.html"
BATCHES_PER_PAGE = 20
CARDS_PER_PAGE = 50
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _page():
    return max(parse_int(request.args.get("page"), 1) or 1, 1)


def _batch(batch_id):
    try:
        return batches.batch_of(db.session, merchant_id(), batch_id)
    except NotFound:
        abort(404)


def _card(card_id):
    try:
        return states.card_of(db.session, merchant_id(), card_id)
    except NotFound:
        abort(404)


def _to_batch(batch_id, **args):
    return redirect(url_for("backoffice.card_stock_batch", batch_id=batch_id, **args))


def _flash_first_error(form):
    for errors in form.errors.values():
        if errors:
            flash(str(errors[0]), "warning")
            return


@blueprint.route("/card-stock")
@requires("card_stock.manage")
def card_stock():
    pagination = db.paginate(batches.batches_query(merchant_id()), page=_page(), per_page=BATCHES_PER_PAGE,
                             error_out=False)
    counts = batches.state_counts(db.session, merchant_id(), [batch.id for batch in pagination.items])
    making = any(batch.status == "making" for batch in pagination.items)
    return render_template(LIST, pagination=pagination, counts=counts, totals=batches.totals(db.session, merchant_id()),
                           states=rules.STATES, labels=rules.STATE_LABELS, status_labels=rules.BATCH_STATUS_LABELS,
                           making=making)


@blueprint.route("/card-stock/new", methods=["GET", "POST"])
@requires("card_stock.manage")
def card_stock_new():
    form = BatchForm()
    return form_page(NEW, {"form": form, "inline_max": rules.INLINE_MAX, "max_batch": rules.MAX_BATCH},
                     lambda: batches.make_batch(db.session, current_user, name=form.name.data,
                                                quantity=form.quantity.data, prefix=form.prefix.data or "",
                                                with_track=form.with_track.data, with_barcode=form.with_barcode.data,
                                                with_pin=form.with_pin.data, ip=client_ip()),
                     done=lambda batch: (_("已制卡 %(n)s 张，请导出制卡文件交付印刷", n=batch.quantity)
                                         if batch.status == "done" else
                                         _("正在制卡（共 %(n)s 张），完成后即可导出制卡文件", n=batch.quantity)),
                     back=lambda batch: url_for("backoffice.card_stock_batch", batch_id=batch.id))


@blueprint.route("/card-stock/<int:batch_id>")
@requires("card_stock.manage")
def card_stock_batch(batch_id):
    batch = _batch(batch_id)
    state = request.args.get("state") if request.args.get("state") in rules.STATES else None
    typed = (request.args.get("q") or "")[:rules.MAX_TYPED + 10]
    try:
        number = batches.check_search(typed)
    except DomainError as exc:
        flash(exc.message, "warning")
        number = ""
    pagination = db.paginate(batches.cards_query(merchant_id(), batch.id, state, number), page=_page(),
                             per_page=CARDS_PER_PAGE, error_out=False)
    stores = store_choices()
    return render_template(DETAIL, batch=batch, pagination=pagination, state=state, q=number,
                           counts=batches.state_counts(db.session, merchant_id(), [batch.id])[batch.id],
                           states=rules.STATES, labels=rules.STATE_LABELS, status_labels=rules.BATCH_STATUS_LABELS,
                           kept_args={k: v for k, v in {"state": state, "q": number}.items() if v},
                           store_form=IssueStoreForm(formdata=None).for_stores(stores),
                           card_form=CardIssueForm(formdata=None).for_stores(stores), action=CardActionForm(),
                           format_card_no=rules.format_card_no, columns=printing.columns(batch))


@blueprint.route("/card-stock/<int:batch_id>/issue", methods=["POST"])
@requires("card_stock.manage")
def card_stock_issue_store(batch_id):
    batch = _batch(batch_id)
    form = IssueStoreForm().for_stores(store_choices())
    if not form.validate():
        _flash_first_error(form)
        return _to_batch(batch.id)
    try:
        moved = states.issue_to_store(db.session, current_user, batch.id, store_id=form.store_id.data,
                                      count=form.count.data, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _to_batch(batch.id)
    flash(_("已将 %(n)s 张卡发放到门店", n=moved), "success")
    return _to_batch(batch.id, state="issued")


@blueprint.route("/card-stock/<int:batch_id>/resume", methods=["POST"])
@requires("card_stock.manage")
def card_stock_resume(batch_id):
    batch = _batch(batch_id)
    if not CardActionForm().validate():
        flash(_("页面已过期，请刷新后重试"), "warning")
        return _to_batch(batch.id)
    try:
        batches.resume(db.session, current_user, batch.id, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _to_batch(batch.id)
    flash(_("已继续制卡，完成后即可导出"), "success")
    return _to_batch(batch.id)


@blueprint.route("/card-stock/<int:batch_id>/export.<fmt>")
@requires("card_stock.manage")
def card_stock_export(batch_id, fmt):
    if fmt not in printing.FORMATS:
        abort(404)
    try:
        batch, header, rows = printing.export_rows(db.session, current_user, batch_id, fmt=fmt, ip=client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
        return _to_batch(batch_id)
    body = printing.csv_bytes(header, rows) if fmt == "csv" else printing.xlsx_bytes(header, rows)
    return body, 200, {"Content-Type": MIMETYPES[fmt], "Cache-Control": "no-store",
                       "Content-Disposition": f'attachment; filename="member-cards-batch-{batch.id}.{fmt}"'}


@blueprint.route("/card-stock/cards/<int:card_id>/issue", methods=["POST"])
@requires("card_stock.manage")
def card_stock_card_issue(card_id):
    card = _card(card_id)
    form = CardIssueForm().for_stores(store_choices())
    if not form.validate():
        _flash_first_error(form)
        return _to_batch(card.batch_id)
    return _card_action(card, lambda: states.issue_card(db.session, current_user, card.id, store_id=form.store_id.data,
                                                        ip=client_ip()), _("已发卡（未绑定会员）"))


@blueprint.route("/card-stock/cards/<int:card_id>/take-back", methods=["POST"])
@requires("card_stock.manage")
def card_stock_card_take_back(card_id):
    card = _card(card_id)
    if not CardActionForm().validate():
        flash(_("页面已过期，请刷新后重试"), "warning")
        return _to_batch(card.batch_id)
    return _card_action(card, lambda: states.take_back(db.session, current_user, card.id, ip=client_ip()),
                        _("已收回并作废该卡"))


def _card_action(card, action, done):
    batch_id = card.batch_id  # read before the action: a refusal rolls the session back
    run_and_flash(action, done)
    return _to_batch(batch_id)
