"""The till's 微信支付 / 支付宝 by the customer's payment code, for staff_h5/views_checkout.py.

The cashier scans (or types) the code on the quote page; `take` charges it through services.till.channels. While
the payer enters a password the page says "等待顾客输入密码…" and posts the same form again every
TILL_POLL_SECONDS with the moment it started, until paid or TILL_PAY_WAIT_SECONDS have passed (then the trade is
reversed). A refusal from the channel spends the trade number, so the quote page comes back with a new key.
"""
import time

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from channels import alipay, wechat_pay
from domain.errors import DomainError
from extensions import db
from services.till import channels as till_channels
from staff_h5.forms import ActionForm
from web.requests import client_ip, new_idempotency_key


def tender_labels():
    """models.checkout.TENDER_LABELS, translated here so Babel extracts each label (the till's pages use it)."""
    return {"balance": _("储值余额"), "wechat": _("微信支付"), "alipay": _("支付宝"), "cash": _("现金"), "card": _("银行卡")}


def channel_ready(merchant, tender):
    """True when the merchant's channel is set up to charge payment codes; otherwise the tender is recorded as
    paid on the shop's own terminal, as before."""
    channel = {"wechat": wechat_pay, "alipay": alipay}.get(tender)
    return channel is not None and channel.configured(merchant)


def auth_code_of(form):
    """What the cashier typed, or what the scanner put in `code` (static/staff_h5/scan.js fills that field)."""
    typed = (form.auth_code.data or "").strip()
    scanned = (form.code.data or "").strip() if form.via.data == "scan" else ""
    return typed or scanned


def _started(form):
    """When the first attempt was made (the page carries it); never later than now."""
    now = int(time.time())
    text = form.started.data or ""
    return min(int(text), now) if text.isdigit() and len(text) <= 12 else now


def take(form, quote_page, amount, member_id, answer, key):
    """Charge the payment code: the receipt, the waiting page, or the quote page with the reason."""
    tender, started = form.tender.data, _started(form)
    wait = current_app.config.get("TILL_PAY_WAIT_SECONDS", 30)
    try:
        step = till_channels.attempt(
            db.session, current_user.merchant, current_user, store_id=g.store.id, member_id=member_id,
            amount=amount, tender=tender, choice=answer.quote.choice, seed=None, key=key,
            auth_code=auth_code_of(form), give_up=time.time() - started >= wait,
            client_ip=client_ip() or "127.0.0.1")
    except till_channels.ChannelRefused as exc:
        db.session.rollback()
        return quote_page(form, amount, member_id, tender, answer, new_idempotency_key("checkout"),
                          error=exc.message, status=exc.http_status)
    except DomainError as exc:
        db.session.rollback()
        return quote_page(form, amount, member_id, tender, answer, key, error=exc.message, status=exc.http_status)
    if step.waiting:
        db.session.rollback()  # nothing recorded yet: no transaction held open between polls
        return render_template("staff_h5/checkout_wait.html", form=form, amount=amount, member_id=member_id,
                               answer=answer, key=key, auth_code=auth_code_of(form), started=started, tender=tender,
                               chosen=answer.quote.choice.encode(), tenders=tender_labels(),
                               left=max(int(started + wait - time.time()), 0),
                               poll=current_app.config.get("TILL_POLL_SECONDS", 2), logout=ActionForm()), 202
    flash(_("收款成功"), "info")
    return redirect(url_for("staff_h5.checkout_receipt", checkout_id=step.checkout.id))
