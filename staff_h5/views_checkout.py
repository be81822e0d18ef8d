"""收银 at the till: amount, member (scan, mobile or card number, or a walk-in), the itemised quote, the tender,
confirm; then the receipt (and its 58 mm print) and today's checkouts of the store.

Every screen re-prices on the server through services.till.checkout; the page only carries what was typed, the member
identified and the key minted with the first quote (so a double tap pays once).
"""
from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import DomainError, NotFound
from domain.money import format_yuan, parse_yuan
from domain.pricing import Choice
from extensions import db
from models.checkout import Checkout
from services.till import checkout as checkout_service, channel_refunds as till_channel_refunds
from services.shared import idempotency
from staff_h5 import blueprint, limits, paycode
from staff_h5.paycode import tender_labels
from staff_h5.forms import ActionForm, CheckoutForm
from staff_h5.views import staff_required
from web import boundary
from web.requests import client_ip, new_idempotency_key


class TooManyMisses(DomainError):
    """Too many unknown mobiles or card numbers from this staff member or phone: look-ups pause (as on /lookup)."""

    http_status = 429


def _start(form, error=None, status=200):
    return render_template("staff_h5/checkout.html", form=form, error=error, logout=ActionForm()), status


@blueprint.route("/checkout")
@staff_required
def checkout_page():
    return _start(CheckoutForm(formdata=None))


def _amount(text):
    amount = parse_yuan(text)
    if amount <= 0:
        raise DomainError(_("请输入消费金额"))
    return amount


def _member_id(form):
    """(member_id or None, False) once identified; (None, True) for a walk-in; else identify what was typed."""
    if form.member_id.data:
        if not form.member_id.data.isdigit():
            raise DomainError(_("会员信息不正确，请重新识别"))
        return int(form.member_id.data)
    if form.walk_in.data == "1":
        return None
    if limits.is_blocked(db.session, current_user, g.device_id):  # phone numbers must not be guessable here
        raise TooManyMisses(_("查询失败次数过多，请稍后再试"))
    try:
        member, refusal = checkout_service.identify(db.session, current_user.merchant, form.code.data)
    except NotFound:  # only a miss counts towards the limit, not an empty box
        db.session.rollback()
        limits.record_failure(db.session, current_user, g.device_id, form.code.data or "", ip=client_ip())
        boundary.keep_on_error()
        raise
    if refusal:
        raise DomainError(refusal)
    return member.id


def _quote(amount, member_id, tender, choice):
    return checkout_service.quote(db.session, current_user.merchant, current_user, store_id=g.store.id,
                                  member_id=member_id, amount=amount, tender=tender, choice=choice, seed=None)


def _first_quote(amount, member_id, tender, choice):
    """With no tender picked yet: the member's balance when it has any, else cash."""
    if tender:
        return tender, _quote(amount, member_id, tender, choice)
    answer = _quote(amount, member_id, "cash", choice)
    if answer.member is not None and answer.balance > 0 and not answer.refusal:
        return "balance", _quote(amount, member_id, "balance", choice)
    return "cash", answer


def _quote_page(form, amount, member_id, tender, answer, key, error=None, status=200):
    chosen = answer.quote.choice.encode()
    return render_template("staff_h5/checkout_quote.html", form=form, answer=answer, amount=amount,
                           amount_text=format_yuan(amount), member_id=member_id, tender=tender, key=key,
                           chosen=chosen, options=[(c.encode(), pay, text) for c, pay, text in answer.options],
                           tenders=tender_labels(), by_code=paycode.channel_ready(current_user.merchant, tender),
                           error=error, logout=ActionForm()), status


@blueprint.route("/checkout/quote", methods=["POST"])
@staff_required
def checkout_quote():
    form = CheckoutForm()
    if not form.validate_on_submit():
        return _start(form, error=_("请检查填写的内容"), status=400)
    key = form.key.data or new_idempotency_key("checkout")
    try:
        amount = _amount(form.amount.data)
        member_id = _member_id(form)
        tender, answer = _first_quote(amount, member_id, form.tender.data, Choice.decode(form.choice.data))
    except DomainError as exc:
        db.session.rollback()
        return _start(form, error=exc.message, status=exc.http_status)
    return _quote_page(form, amount, member_id, tender, answer, key)


def _replayed(key):
    """The checkout a first tap already made with this key (a double tap lands on its receipt)."""
    earlier = idempotency.find_existing(db.session, Checkout, current_user.merchant_id, key)
    return earlier if earlier is not None and earlier.store_id == g.store.id else None


@blueprint.route("/checkout/pay", methods=["POST"])
@staff_required
def checkout_pay():
    form = CheckoutForm()
    if not form.validate_on_submit() or not form.key.data or not form.tender.data:
        return _start(form, error=_("请检查填写的内容"), status=400)
    key, tender = form.key.data, form.tender.data
    earlier = _replayed(key)
    if earlier is not None:
        return redirect(url_for("staff_h5.checkout_receipt", checkout_id=earlier.id))
    try:
        amount, member_id, choice = _amount(form.amount.data), _member_id(form), Choice.decode(form.choice.data)
        answer = _quote(amount, member_id, tender, choice)
    except DomainError as exc:
        db.session.rollback()
        return _start(form, error=exc.message, status=exc.http_status)
    by_code = paycode.channel_ready(current_user.merchant, tender)
    # the price moved since the cashier read it: show it again (unless a code was charged already: the service
    # then records it or, at another price, reverses it)
    if form.expected.data != str(answer.quote.pay) and not (by_code and form.started.data):
        return _quote_page(form, amount, member_id, tender, answer, key,
                           error=_("应付金额已变化，请核对后再确认"), status=409)
    if by_code:
        return paycode.take(form, _quote_page, amount, member_id, answer, key)
    try:
        made = checkout_service.pay(db.session, current_user.merchant, current_user, store_id=g.store.id,
                                    member_id=member_id, amount=amount, tender=tender, choice=answer.quote.choice,
                                    seed=None, key=key)
    except DomainError as exc:
        db.session.rollback()
        return _quote_page(form, amount, member_id, tender, answer, key, error=exc.message, status=exc.http_status)
    flash(_("收款成功"), "info")
    return redirect(url_for("staff_h5.checkout_receipt", checkout_id=made.id))


def _visible_checkout(checkout_id):
    """The checkout, if it is this merchant's and, for a store-bound cashier, one of their stores'; else 404."""
    try:
        row = checkout_service.get(db.session, current_user.merchant_id, checkout_id)
    except DomainError:
        abort(404)
    if not current_user.can_act_in(row.store_id):
        abort(404)
    return row


def _receipt(checkout_id, template):
    row = _visible_checkout(checkout_id)
    data = checkout_service.receipt(db.session, current_user.merchant_id, row.id)
    return render_template(template, r=data, tenders=tender_labels(), logout=ActionForm())


@blueprint.route("/checkouts/<int:checkout_id>")
@staff_required
def checkout_receipt(checkout_id):
    return _receipt(checkout_id, "staff_h5/receipt.html")


@blueprint.route("/checkouts/<int:checkout_id>/refunds/<int:refund_id>/settle", methods=["POST"])
@staff_required
def checkout_refund_settle(checkout_id, refund_id):
    """Ask WeChat Pay / Alipay for the final word on a refund still processing, then show the receipt again."""
    row = _visible_checkout(checkout_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        state = till_channel_refunds.settle_one(db.session, current_user.merchant, row, refund_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff_h5.checkout_receipt", checkout_id=row.id))
    flash({"succeeded": _("退款已原路退回"), "failed": _("原路退款失败，请按提示退还顾客")}.get(state, _("渠道仍在处理，请稍后再查")),
          "info")
    return redirect(url_for("staff_h5.checkout_receipt", checkout_id=row.id))


@blueprint.route("/checkouts/<int:checkout_id>/print")
@staff_required
def checkout_print(checkout_id):
    return _receipt(checkout_id, "staff_h5/receipt_print.html")


@blueprint.route("/checkouts")
@staff_required
def checkouts_today():
    rows = checkout_service.today_in_store(db.session, current_user.merchant, g.store.id)
    return render_template("staff_h5/checkout_list.html", rows=rows, total=sum(r.pay for r in rows),
                           tenders=tender_labels(), logout=ActionForm())
