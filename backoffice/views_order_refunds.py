"""One order in the back office: what it was, what it gave, its refunds; and the refund form (owner/admin)."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from web.requests import client_ip, new_idempotency_key
from backoffice.forms import YuanField
from backoffice.ui import form_page
from domain import orders as order_rules
from domain.errors import DomainError
from domain.money import format_yuan
from extensions import db
from models import Order
from services.orders import refunds
from services.shared.tenancy import get_owned

DETAIL = "backoffice/orders/detail.html"


class RefundForm(FlaskForm):
    amount = YuanField(_l("退款金额（元）"), validators=[DataRequired(_l("请填写退款金额"))])
    reason = StringField(_l("退款原因"), validators=[DataRequired(_l("请填写退款原因")),
                                                  Length(max=200, message=_l("原因不能超过 200 字"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")), Length(max=100)])


def _preview(order):
    """What the form says before refunding: a top-up's plan for the whole rest, a card's or coupon order's
    statement (dict), or why it cannot be refunded (text)."""
    if order.state not in refunds.REFUNDABLE_STATES or not refunds.refundable_left(order):
        return None
    try:
        if order.kind == "topup":
            return refunds.plan(db.session, order, refunds.refundable_left(order))
        return refunds.kind_preview(db.session, order)
    except DomainError as exc:
        return exc.message


def _context(order, form):
    preview = _preview(order)
    return {"order": order, "form": form, "refund_list": refunds.refunds_of(db.session, merchant_id(), order.id),
            "left": preview["most"] if isinstance(preview, dict) else refunds.refundable_left(order),
            "preview": preview, "refundable_kinds": ("topup", *refunds.CARD_KINDS, "coupon"),
            "state_labels": order_rules.STATE_LABELS, "kind_labels": order_rules.KIND_LABELS,
            "channel_labels": order_rules.ORDER_CHANNEL_LABELS}


@blueprint.route("/orders/<int:order_id>")
@requires("members.view")
def order_detail(order_id):
    order = get_owned(db.session, Order, merchant_id(), order_id)
    form = RefundForm(formdata=None, key=new_idempotency_key("refund"))
    context = _context(order, form)
    preview = context["preview"]
    if isinstance(preview, dict) and preview.get("suggested"):
        form.amount.data = format_yuan(preview["suggested"])  # the suggestion, which the merchant may change
    return render_template(DETAIL, **context)


@blueprint.route("/orders/<int:order_id>/refund", methods=["POST"])
@requires("orders.refund")
def order_refund(order_id):
    order = get_owned(db.session, Order, merchant_id(), order_id)
    form = RefundForm()
    return form_page(DETAIL, lambda: _context(order, form), lambda: refunds.refund_order(
        db.session, current_user, order.id, form.amount.fen, reason=form.reason.data, key=form.key.data,
        ip=client_ip()), form=form, done=lambda record: _refunded(order, record),
        back=url_for("backoffice.order_detail", order_id=order.id))


def _refunded(order, record):
    """What the merchant is told after a refund: the amount, and what could not be taken back."""
    if order.kind == "topup":
        message = _("已退款 ¥%(amount)s，收回赠送 ¥%(bonus)s", amount=f"{record.amount / 100:.2f}",
                    bonus=f"{record.bonus_back / 100:.2f}")
    else:
        message = _("已退款 ¥%(amount)s", amount=f"{record.amount / 100:.2f}")
    if record.state == "processing":
        message += _("；渠道处理中，结果以渠道通知为准")
    if record.bonus_unrecoverable:
        message += _("；赠送金额已消费 ¥%(n)s，无法收回", n=f"{record.bonus_unrecoverable / 100:.2f}")
    return message
