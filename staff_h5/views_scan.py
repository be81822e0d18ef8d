"""Scan or type, see what it is, confirm: every instrument through services.verification.instruments, and a member's QR."""
from urllib.parse import urlsplit

from flask import abort, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from domain.clock import now_utc
from domain.errors import DomainError, NotFound
from domain.money import format_yuan, parse_yuan
from extensions import db
from services.verification import instruments, records as verifications
from services.wechat import jssdk as wechat_jssdk
from staff_h5 import blueprint, limits, scanned
from staff_h5.forms import ActionForm, LookupForm, VerifyForm
from staff_h5.views import staff_required
from web import boundary
from web.requests import client_ip, new_idempotency_key

MAX_USES_PER_VERIFICATION = 999


def _in_wechat():
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def _scan_page(form, error=None, status=200):
    return render_template("staff_h5/verify.html", form=form, error=error, in_wechat=_in_wechat(),
                           logout=ActionForm()), status


@blueprint.route("/")
@staff_required
def verify_page():
    return _scan_page(LookupForm())


def _too_many():
    message = _("查询失败次数过多（%(minutes)d 分钟内 %(count)d 次），请稍后再试",
                minutes=int(limits.WINDOW.total_seconds() // 60), count=limits.MAX_FAILURES)
    return _scan_page(LookupForm(formdata=None), error=message, status=429)


def _failed(typed):
    """Count a failed look-up against this staff member and device, in its own small unit of work."""
    db.session.rollback()
    limits.record_failure(db.session, current_user, g.device_id, typed, ip=client_ip())
    boundary.keep_on_error()


def _confirm_form(lookup, method):
    if not lookup.usable:
        return None
    return VerifyForm(formdata=None, code=lookup.code, key=new_idempotency_key("verify"), method=method)


@blueprint.route("/lookup", methods=["POST"])
@staff_required
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return _scan_page(form, status=400)
    if limits.is_blocked(db.session, current_user, g.device_id):
        return _too_many()
    method = form.via.data or "manual"
    try:
        found = scanned.resolve(db.session, current_user.merchant_id, form.code.data, g.store.id, now_utc())
    except DomainError as exc:
        _failed(form.code.data)
        return _scan_page(form, error=exc.message, status=exc.http_status)
    if found.member is not None:
        items = [(item, _confirm_form(item, method)) for item in found.held]
        return render_template("staff_h5/member.html", member=found.member, items=items, logout=ActionForm())
    return render_template("staff_h5/lookup.html", item=found.lookup, confirm=_confirm_form(found.lookup, method),
                           logout=ActionForm())


def _positive_int(text, label):
    text = (text or "").strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_USES_PER_VERIFICATION:
        raise DomainError(_("%(label)s须为 1 到 %(most)d 之间的整数", label=label, most=MAX_USES_PER_VERIFICATION))
    return int(text)


def _take(form, item):
    """(quantity, amount) to take, as the instrument asks for: uses of a count card, fen of a gift card."""
    if item.take == "uses":
        quantity = _positive_int(form.quantity.data, _("使用次数"))
        if item.take_max is not None and quantity > item.take_max:
            raise DomainError(_("最多可使用 %(most)d 次", most=item.take_max))
        return quantity, None
    if item.take == "amount":
        amount = parse_yuan(form.amount.data)
        if amount <= 0:
            raise DomainError(_("请填写扣减金额"))
        if item.take_max is not None and amount > item.take_max:
            raise DomainError(_("扣减金额不能超过余额 ¥%(most)s", most=format_yuan(item.take_max)))
        return None, amount
    return None, None


def _done_text(record):
    text = _("%(name)s 已在 %(store)s 核销", name=record.instrument_name, store=g.store.name)
    if record.quantity:
        text += _("，使用 %(count)d 次", count=record.quantity)
    if record.amount_taken:
        text += _("，扣减 ¥%(amount)s", amount=format_yuan(record.amount_taken))
    return text


@blueprint.route("/verify", methods=["POST"])
@staff_required
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    if limits.is_blocked(db.session, current_user, g.device_id):  # /verify must not be a side door for guessing
        return _too_many()
    try:
        adapter, row = instruments.find(db.session, current_user.merchant_id, form.code.data)
        quantity = amount = None
        if verifications.replay(db.session, current_user, form.key.data) is None:  # a double tap is not re-checked
            quantity, amount = _take(form, adapter.describe(db.session, row, g.store.id, now_utc()))
        received = parse_yuan(form.received.data) if (form.received.data or "").strip() else 0
        record = instruments.verify(db.session, current_user, form.code.data, store_id=g.store.id,
                                    method=form.method.data or "manual", key=form.key.data, quantity=quantity,
                                    amount=amount, amount_received=received)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            _failed(form.code.data)
        else:
            db.session.rollback()
        return render_template("staff_h5/message.html", title=_("未能核销"), text=exc.message, icon="warn",
                               logout=ActionForm()), exc.http_status
    return render_template("staff_h5/message.html", title=_("核销成功"), icon="success", text=_done_text(record),
                           logout=ActionForm())


def _own_page(url):
    parts = urlsplit(url or "")
    return parts.netloc == request.host and parts.path.startswith("/staff/")


@blueprint.route("/jssdk-config")
@staff_required
def jssdk_config():
    """`wx.config` arguments for a staff page URL (the page sends location.href without its fragment)."""
    url = request.args.get("url", "")
    if not _own_page(url):
        return jsonify(error=_("页面地址不正确")), 400
    try:
        config = wechat_jssdk.config_for(current_user.merchant, url)
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=exc.message), exc.http_status
    return jsonify(config)
