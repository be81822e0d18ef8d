"""门店充值 on the staff page: find the member (their QR, mobile or card number), choose a top-up tier or an amount
(the same tiers and rules as online), the tender (现金, 银行卡, or the customer's WeChat Pay / Alipay payment code
through the till's own channels), confirm; then the receipt (and its 58 mm print), and the store's counter
top-ups of today. services/wallet/counter_topup.py does the work; the page carries the choice, the tender and the
key minted when the choice was shown, so a double tap takes one top-up."""
import time

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from domain.errors import DomainError, NotFound
from domain.money import parse_yuan
from extensions import db
from services.members import members as member_service
from services.till import channels as till_channels
from services.wallet import counter_topup
from staff_h5 import blueprint, member_lookup, paycode
from staff_h5.forms import MAX_SCANNED, METHODS, ActionForm, LookupForm
from staff_h5.views import staff_required
from staff_h5.views_scan import _in_wechat
from web.requests import client_ip, new_idempotency_key

PERMISSION = "wallet.counter_topup"
CUSTOM = "custom"


class TopupForm(FlaskForm):
    """The choice (a tier `rule:<id>` or `custom` with an amount), the tender and the key; on the payment-code step
    the code (typed into `auth_code`, or scanned into `code` by static/staff_h5/scan.js) and when it was first tried."""

    choice = HiddenField(validators=[DataRequired(_l("请选择充值档位或金额")), Length(max=24)])
    amount = StringField(_l("充值金额"), validators=[Optional(), Length(max=20, message=_l("金额过长"))])
    tender = HiddenField(validators=[DataRequired(_l("请选择收款方式")),
                                     AnyOf(counter_topup.TENDERS, message=_l("请选择收款方式"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请重新开始")), Length(max=100)])
    expected = HiddenField(validators=[Optional(), Length(max=14)])
    auth_code = StringField(_l("付款码"), validators=[Optional(), Length(max=32, message=_l("付款码过长"))])
    code = HiddenField(validators=[Optional(), Length(max=MAX_SCANNED)])
    via = HiddenField(validators=[Optional(), AnyOf(METHODS)])
    started = HiddenField(validators=[Optional(), Length(max=12)])
    real_name = StringField(_l("真实姓名"), validators=[Optional(), Length(max=60, message=_l("姓名过长"))])


def _refused():
    return render_template("staff_h5/message.html", title=_("无法充值"), icon="warn",
                           text=_("您的角色不能办理门店充值，请联系店长。"), logout=ActionForm()), 403


def _member(member_id):
    try:
        return member_service.get_visible_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)


def tender_labels():
    """services.wallet.counter_topup.TENDER_LABELS, translated here so Babel extracts each label."""
    return {"cash": _("现金"), "bankcard": _("银行卡"), "wechat": _("微信付款码"), "alipay": _("支付宝付款码")}


def _tenders():
    """The tenders this merchant can take: a payment code only where its channel is set up to charge one."""
    return {tender: label for tender, label in tender_labels().items()
            if tender in counter_topup.BY_HAND or paycode.channel_ready(current_user.merchant, tender)}


# --- finding the member -------------------------------------------------------------------------------------------

@blueprint.route("/topup")
@staff_required
def counter_topup_find():
    if not current_user.can(PERMISSION):
        return _refused()
    return _find_page(LookupForm(formdata=None))


def _find_page(form, error=None, status=200):
    return render_template("staff_h5/counter/find.html", form=form, error=error, in_wechat=_in_wechat(),
                           logout=ActionForm()), status


@blueprint.route("/topup", methods=["POST"])
@staff_required
def counter_topup_lookup():
    """A member QR, a mobile or a card number (typed, scanned or swiped) -> that member's top-up page."""
    if not current_user.can(PERMISSION):
        return _refused()
    form = LookupForm()
    try:
        member, refusal = member_lookup.identify_member(form)
    except member_lookup.LookupFailed as failed:
        return _find_page(form, error=failed.error, status=failed.status)
    if refusal and refusal.startswith("该卡"):  # a lost or returned card: the member is found some other way
        return _find_page(form, error=refusal, status=409)
    return redirect(url_for("staff_h5.counter_topup_page", member_id=member.id))


# --- choosing, confirming, taking the money -----------------------------------------------------------------------

def _choose_page(member, form, error=None, status=200):
    offer = counter_topup.offer(db.session, current_user.merchant, member)
    return render_template("staff_h5/counter/topup.html", member=member, offer=offer, form=form, error=error,
                           tenders=_tenders(), logout=ActionForm()), status


@blueprint.route("/members/<int:member_id>/topup")
@staff_required
def counter_topup_page(member_id):
    if not current_user.can(PERMISSION):
        return _refused()
    member = _member(member_id)
    form = TopupForm(formdata=None, key=new_idempotency_key("counter-topup"), tender="cash")
    return _choose_page(member, form)


def _choice(form):
    """(rule_id, custom_amount) from the form; a DomainError in the staff member's words when it makes no sense."""
    choice = form.choice.data or ""
    if choice == CUSTOM:
        return None, parse_yuan(form.amount.data)
    number = choice.removeprefix("rule:")
    if choice.startswith("rule:") and number.isdigit() and len(number) <= 10:
        return int(number), None
    raise DomainError(_("请选择充值档位或金额"))


def _priced(member, form):
    rule_id, custom = _choice(form)
    amount, items = counter_topup.price(db.session, current_user.merchant, member, rule_id=rule_id,
                                        custom_amount=custom)
    return rule_id, custom, amount, items


def _confirm_page(member, form, amount, items, error=None, status=200):
    offer = counter_topup.offer(db.session, current_user.merchant, member)
    by_code = form.tender.data in counter_topup.BY_CODE
    titles = counter_topup.coupon_titles(db.session, current_user.merchant_id, items)
    return render_template("staff_h5/counter/confirm.html", member=member, form=form, amount=amount, items=items,
                           balance=offer.balance,
                           ask_name=counter_topup.needs_real_name(db.session, current_user.merchant, member, amount), tender_label=tender_labels()[form.tender.data], by_code=by_code,
                           coupon_titles=titles, error=error, in_wechat=_in_wechat(), logout=ActionForm()), status


def _submitted(member_id):
    """The member and the posted choice; with the page to answer instead when the role may not top up, or the
    choice or tender is not one this merchant takes."""
    if not current_user.can(PERMISSION):
        return None, None, _refused()
    member = _member(member_id)
    form = TopupForm()
    if not form.validate_on_submit() or form.tender.data not in _tenders():
        return member, form, _choose_page(member, form, error=_first_error(form) or _("请选择收款方式"), status=400)
    return member, form, None


@blueprint.route("/members/<int:member_id>/topup", methods=["POST"])
@staff_required
def counter_topup_confirm(member_id):
    member, form, answer = _submitted(member_id)
    if answer is not None:
        return answer
    try:
        _rule_id, _custom, amount, items = _priced(member, form)
    except DomainError as exc:
        db.session.rollback()
        return _choose_page(member, form, error=exc.message, status=exc.http_status)
    return _confirm_page(member, form, amount, items)


def _first_error(form):
    return next((str(errors[0]) for errors in form.errors.values() if errors), None)


@blueprint.route("/members/<int:member_id>/topup/pay", methods=["POST"])
@staff_required
def counter_topup_pay(member_id):
    member, form, answer = _submitted(member_id)
    if answer is not None:
        return answer
    taken = counter_topup.by_key(db.session, current_user.merchant_id, form.key.data)
    if taken is not None and taken.member_id == member.id:  # a double tap: the first tap's receipt
        return redirect(url_for("staff_h5.counter_topup_receipt", order_id=taken.id))
    try:
        rule_id, custom, amount, items = _priced(member, form)
    except DomainError as exc:
        db.session.rollback()
        return _choose_page(member, form, error=exc.message, status=exc.http_status)
    if form.expected.data and form.expected.data != str(amount):
        return _confirm_page(member, form, amount, items, error=_("充值金额已变化，请核对后再确认"), status=409)
    request = dict(store_id=g.store.id, member_id=member.id, tender=form.tender.data, key=form.key.data,
                   rule_id=rule_id, custom_amount=custom, real_name=form.real_name.data)
    if form.tender.data in counter_topup.BY_CODE:
        return _take_code(member, form, amount, items, request)
    try:
        order = counter_topup.take_by_hand(db.session, current_user.merchant, current_user, **request)
    except DomainError as exc:
        db.session.rollback()
        return _confirm_page(member, form, amount, items, error=exc.message, status=exc.http_status)
    flash(_("充值成功"), "info")
    return redirect(url_for("staff_h5.counter_topup_receipt", order_id=order.id))


def _started(form):
    """When the payment code was first tried (the page carries it); never later than now."""
    now = int(time.time())
    text = form.started.data or ""
    return min(int(text), now) if text.isdigit() and len(text) <= 12 else now


def _take_code(member, form, amount, items, request):
    started = _started(form)
    wait = current_app.config.get("TILL_PAY_WAIT_SECONDS", 30)
    try:
        step = counter_topup.take_by_code(db.session, current_user.merchant, current_user,
                                          auth_code=paycode.auth_code_of(form), give_up=time.time() - started >= wait,
                                          client_ip=client_ip() or "127.0.0.1", **request)
    except till_channels.ChannelRefused as exc:
        db.session.rollback()
        form.key.data = new_idempotency_key("counter-topup")  # the refused trade's number is spent
        return _confirm_page(member, form, amount, items, error=exc.message, status=exc.http_status)
    except DomainError as exc:
        db.session.rollback()
        return _confirm_page(member, form, amount, items, error=exc.message, status=exc.http_status)
    if step.waiting:
        db.session.rollback()  # nothing recorded yet: no transaction held open between polls
        return render_template("staff_h5/counter/wait.html", member=member, form=form, amount=amount,
                               auth_code=paycode.auth_code_of(form), started=started,
                               tender_label=tender_labels()[form.tender.data],
                               left=max(int(started + wait - time.time()), 0),
                               poll=current_app.config.get("TILL_POLL_SECONDS", 2), logout=ActionForm()), 202
    flash(_("充值成功"), "info")
    return redirect(url_for("staff_h5.counter_topup_receipt", order_id=step.order.id))


# --- the receipt and the store's day ------------------------------------------------------------------------------

def _visible_order(order_id):
    try:
        return counter_topup.counter_order(db.session, current_user, order_id)
    except NotFound:
        abort(404)


@blueprint.route("/topups/<int:order_id>")
@staff_required
def counter_topup_receipt(order_id):
    order = _visible_order(order_id)
    return render_template("staff_h5/counter/receipt.html", r=counter_topup.receipt(db.session, order),
                           logout=ActionForm())


@blueprint.route("/topups/<int:order_id>/print")
@staff_required
def counter_topup_print(order_id):
    order = _visible_order(order_id)
    return render_template("staff_h5/counter/receipt_print.html", r=counter_topup.receipt(db.session, order))


@blueprint.route("/topups")
@staff_required
def counter_topups_today():
    if not current_user.can(PERMISSION):
        return _refused()
    rows = counter_topup.today_in_store(db.session, current_user.merchant, g.store.id)
    totals = {}
    for order in rows:
        totals[order.channel] = totals.get(order.channel, 0) + order.amount - order.refunded_amount
    return render_template("staff_h5/counter/today.html", rows=rows, totals=totals, tenders=tender_labels(),
                           total=sum(totals.values()), logout=ActionForm())
