"""自助买单: the store's pay QR opens /pay/<store>; the member types the amount, sees the itemised quote at member
prices (the other offers selectable, as on the staff page), and pays with balance or with the channel the browser
is in. Then their receipt, and 消费记录 (their checkouts).

Every screen re-prices on the server (services/till/self_pay.py); the page carries only the amount, the offer picked,
the tender, the price the member read (`expected`) and a key minted with the quote, so a double tap pays once and
a price that moved is shown again before anything is taken. The receipt and 消费记录: views_checkouts.py.
"""
import secrets

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from domain.errors import DomainError, NotFound
from domain.money import format_yuan
from domain.pricing import Choice
from extensions import db
from member_h5 import blueprint, join_links
from member_h5.common import current_login, member_required, message_page
from member_h5.paying import channel_context, pay_channel, start_paying
from services.till import self_pay, self_pay_orders
from services.members.join import member_for
from web import boundary


class SelfPayForm(FlaskForm):
    amount = StringField()  # its length and form are checked by parse_yuan, which says what is wrong
    tender = HiddenField(validators=[Length(max=10)])
    choice = HiddenField(validators=[Length(max=160)])
    key = HiddenField(validators=[Length(max=80)])
    expected = HiddenField(validators=[Length(max=12)])


def _store(store_id):
    """The store of the URL: another merchant's is a 404 (raised), a closed one a clear page (returned)."""
    try:
        return self_pay.open_store(db.session, g.merchant, store_id), None
    except NotFound:
        raise
    except DomainError as exc:
        return None, message_page(_("暂不能买单"), exc.message, exc.http_status, icon="warn")


@blueprint.route("/pay/<int:store_id>", methods=["GET"])
def self_pay_page(store_id):
    login = current_login()
    if login is not None and member_for(db.session, login) is None:
        flash(_("领取会员卡后即可享受会员价买单"), "info")
        return redirect(url_for("member_h5.claim", next=request.path))
    return _amount_page(store_id)


@member_required
def _amount_page(store_id):
    store, closed = _store(store_id)
    if closed:
        return closed
    return _start(store, SelfPayForm(formdata=None))


def _start(store, form, error=None, status=200):
    return render_template("member_h5/self_pay/amount.html", store=store, form=form, error=error), status


def _key():
    return f"selfpay:{g.member.id}:{secrets.token_urlsafe(16)}"


def _tenders():
    """The tenders this member can pay with here: balance, then the channel the browser is in."""
    return {"balance": _("储值余额"), pay_channel(): channel_context()["channel_label"]}


def _quotes(store, amount, choice):
    """(balance quote, channel quote): 储值折上折 makes the balance price differ from the channel's."""
    def one(tender):
        return self_pay.quote(db.session, g.merchant, g.member, store_id=store.id, amount=amount, tender=tender,
                              choice=choice)
    return one("balance"), one(pay_channel())


def _quote_page(store, form, amount, choice, tender, key, error=None, status=200):
    by_balance, by_channel = _quotes(store, amount, choice)
    if tender not in ("balance", pay_channel()):  # unset or not this browser's channel: balance when it covers
        tender = "balance" if by_balance.balance_short == 0 else pay_channel()
    answer = by_balance if tender == "balance" else by_channel
    options = [(c.encode(), pay, text) for c, pay, text in answer.options]
    return render_template("member_h5/self_pay/quote.html", store=store, form=form, answer=answer, amount=amount,
                           amount_text=format_yuan(amount), tender=tender, tenders=_tenders(), key=key,
                           chosen=answer.quote.choice.encode(), options=options,
                           channel_pay=by_channel.quote.pay, error=error, **channel_context()), status


def _read(form):
    """(amount, choice) from a posted form; a DomainError says what is wrong."""
    return self_pay.parse_amount(form.amount.data), Choice.decode(form.choice.data)


@blueprint.route("/pay/<int:store_id>/quote", methods=["POST"])
@member_required
def self_pay_quote(store_id):
    store, closed = _store(store_id)
    if closed:
        return closed
    form = SelfPayForm()
    if not form.validate():
        return _start(store, form, error=_("页面已过期，请刷新后再试"), status=400)
    try:
        amount, choice = _read(form)
        # the short-balance button sends the channel after the tender radios: the last value is the one asked for
        tender = (request.form.getlist("tender") or [""])[-1]
        return _quote_page(store, form, amount, choice, tender, form.key.data or _key())
    except DomainError as exc:
        db.session.rollback()
        return _start(store, form, error=exc.message, status=exc.http_status)


def _paying(store_id, action):
    """The shared part of both pay buttons: store, form, amount and choice, then `action(store, form, amount,
    choice, expected)`; a refusal re-shows the quote (a moved price with its new figures)."""
    store, closed = _store(store_id)
    if closed:
        return closed
    form = SelfPayForm()
    if not form.validate() or not form.key.data or not (form.expected.data or "").isdigit():
        return _start(store, form, error=_("页面已过期，请刷新后再试"), status=400)
    try:
        amount, choice = _read(form)
    except DomainError as exc:
        return _start(store, form, error=exc.message, status=exc.http_status)
    try:
        return action(store, form, amount, choice, int(form.expected.data))
    except NotFound:
        raise
    except DomainError as exc:
        db.session.rollback()
        return _quote_page(store, form, amount, choice, form.tender.data, form.key.data, error=exc.message,
                           status=exc.http_status)


@blueprint.route("/pay/<int:store_id>/balance", methods=["POST"])
@member_required
def self_pay_balance(store_id):
    def action(store, form, amount, choice, expected):
        made = self_pay.pay_with_balance(db.session, g.merchant, g.member, store_id=store.id, amount=amount,
                                         choice=choice, expected=expected, key=form.key.data)
        flash(_("支付成功"), "success")
        return redirect(url_for("member_h5.my_checkout", checkout_id=made.id))
    return _paying(store_id, action)


@blueprint.route("/pay/<int:store_id>/channel", methods=["POST"])
@member_required
def self_pay_channel(store_id):
    def action(store, form, amount, choice, expected):
        order = self_pay_orders.create_order(db.session, g.merchant, g.member, store_id=store.id, amount=amount,
                                             choice=choice, expected=expected, channel=pay_channel(),
                                             key=form.key.data)
        join_links.stamp_order(order)
        boundary.commit_now()  # the order exists before its channel hears of it
        return start_paying(order)
    return _paying(store_id, action)
