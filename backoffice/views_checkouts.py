"""Till payments (收银记录) in the back office: a filtered list, one payment's priced steps and refunds, and the
refund form for owners and admins. The refund itself is services.till.refunds; this module only parses,
authorises, commits once and renders."""
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from backoffice import blueprint
from backoffice.common import flash_domain_error, merchant_id, parse_int, requires
from web.requests import new_idempotency_key
from backoffice.forms import YuanField
from domain.clock import local_midnight_utc
from domain.errors import DomainError, PermissionDenied
from domain.money import format_yuan
from extensions import db
from models import ApiKey, Staff, Store
from models.checkout import CHECKOUT_STATES, TENDER_LABELS, TENDERS, Checkout, CheckoutRefund
from models.rewards import RewardGrant
from services.till import checkout as checkout_service
from services.shared import reading
from services.shared.tenancy import get_owned, scoped

PER_PAGE = 50
DETAIL = "backoffice/till/checkout_detail.html"
STATE_LABELS = {"paid": _l("已支付"), "refunded": _l("已全额退款")}
SOURCE_LABELS = {"staff": _l("收银台"), "api": _l("开放接口"), "h5": _l("会员自助")}
GRANT_STATE_LABELS = {"granted": _l("已发放"), "pending_claim": _l("待领取"), "claimed": _l("已领取")}
CHANNEL_REFUND_STATES = {"succeeded": _l("退款成功"), "processing": _l("退款处理中"), "failed": _l("退款失败")}


class CheckoutRefundForm(FlaskForm):
    amount = YuanField(_l("退款金额（元）"), validators=[DataRequired(_l("请填写退款金额"))])
    reason = StringField(_l("退款原因"), validators=[DataRequired(_l("请填写退款原因")),
                                                  Length(max=200, message=_l("原因不能超过 200 字"))])
    key = HiddenField(validators=[DataRequired(_l("页面已过期，请刷新后重试")), Length(max=100)])


@blueprint.route("/checkouts")
@requires("members.view")
def checkouts():
    stores = db.session.scalars(scoped(Store, merchant_id()).order_by(Store.id)).all()
    filters, query = _filtered(scoped(Checkout, merchant_id()), {s.id for s in stores})
    page = max(parse_int(request.args.get("page"), 1) or 1, 1)
    query = query.options(joinedload(Checkout.member), joinedload(Checkout.store), joinedload(Checkout.staff))
    # the list only reads: from the replica when one is configured
    pagination = SelectPagination(select=query.order_by(Checkout.created_at.desc(), Checkout.id.desc()),
                                  session=reading.session(), page=page, per_page=PER_PAGE, max_per_page=None,
                                  error_out=False)
    return render_template("backoffice/till/checkouts.html", pagination=pagination, filters=filters, stores=stores,
                           kept_args={k: v for k, v in filters.items() if v}, tender_labels=TENDER_LABELS,
                           state_labels=STATE_LABELS, source_labels=SOURCE_LABELS,
                           api_key_names=_api_key_names(pagination.items))


def _filtered(query, store_ids):
    """Known values only: an unknown store, tender or state, or a malformed date, is ignored, not an error page."""
    args = request.args
    store = parse_int(args.get("store"))
    filters = {"store": store if store in store_ids else "",
               "tender": args.get("tender") if args.get("tender") in TENDERS else "",
               "state": args.get("state") if args.get("state") in CHECKOUT_STATES else "",
               "date_from": _date(args.get("date_from")), "date_to": _date(args.get("date_to"))}
    if filters["store"]:
        query = query.where(Checkout.store_id == filters["store"])
    for name in ("tender", "state"):
        if filters[name]:
            query = query.where(getattr(Checkout, name) == filters[name])
    tz_name = current_user.merchant.timezone
    if filters["date_from"]:
        query = query.where(Checkout.created_at >= local_midnight_utc(date.fromisoformat(filters["date_from"]),
                                                                      tz_name))
    if filters["date_to"]:
        end = date.fromisoformat(filters["date_to"]) + timedelta(days=1)
        query = query.where(Checkout.created_at < local_midnight_utc(end, tz_name))
    return filters, query


def _date(text):
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return ""
    return text


def _api_key_names(rows):
    """Names of the API keys that took these payments (one query for the page, this merchant's keys only)."""
    ids = {row.api_key_id for row in rows if row.api_key_id}
    if not ids:
        return {}
    keys = db.session.scalars(scoped(ApiKey, merchant_id()).where(ApiKey.id.in_(ids)))
    return {key.id: key.name for key in keys}


def _context(checkout, form):
    """What the detail page shows: the receipt (stored steps), the refunds with what each reversed, what is left."""
    refunds = db.session.scalars(scoped(CheckoutRefund, merchant_id()).where(CheckoutRefund.checkout_id == checkout.id)
                                 .order_by(CheckoutRefund.id)).all()
    return {"checkout": checkout, "receipt": checkout_service.receipt(db.session, merchant_id(), checkout.id),
            "refund_list": refunds, "left": checkout.pay - checkout.refunded_amount, "form": form,
            "api_key_name": _api_key_names([checkout]).get(checkout.api_key_id), "tender_labels": TENDER_LABELS,
            "state_labels": STATE_LABELS, "source_labels": SOURCE_LABELS, "staff_names": _staff_names(refunds),
            "grants": _grants(checkout), "grant_state_labels": GRANT_STATE_LABELS,
            "channel_states": CHANNEL_REFUND_STATES}


def _grants(checkout):
    """What the payment's reward rules gave or left to claim (the receipt's lines are on checkout.rewards)."""
    return db.session.scalars(scoped(RewardGrant, merchant_id()).where(RewardGrant.checkout_id == checkout.id)
                              .options(joinedload(RewardGrant.rule)).order_by(RewardGrant.id)).all()


def _staff_names(refunds):
    """Who gave each refund back (a refund row keeps only the staff id)."""
    ids = {r.staff_id for r in refunds if r.staff_id}
    if not ids:
        return {}
    people = db.session.scalars(scoped(Staff, merchant_id()).where(Staff.id.in_(ids)))
    return {person.id: person.name for person in people}


@blueprint.route("/checkouts/<int:checkout_id>")
@requires("members.view")
def checkout_detail(checkout_id):
    checkout = get_owned(db.session, Checkout, merchant_id(), checkout_id)
    form = CheckoutRefundForm(formdata=None, key=new_idempotency_key("checkout-refund"))
    form.amount.data = format_yuan(checkout.pay - checkout.refunded_amount)  # default: all that is left
    return render_template(DETAIL, **_context(checkout, form))


@blueprint.route("/checkouts/<int:checkout_id>/refund", methods=["POST"])
@requires("members.view")
def checkout_refund(checkout_id):
    """Open to viewers so that a cashier's attempt is refused by the service (orders.refund) with its message,
    on the page, as a 403; the service checks the permission before it touches anything."""
    checkout = get_owned(db.session, Checkout, merchant_id(), checkout_id)
    form = CheckoutRefundForm()
    if current_user.can("orders.refund") and not form.validate():
        return render_template(DETAIL, **_context(checkout, form)), 400
    try:
        record = checkout_service.refund(db.session, current_user, checkout.id, form.amount.fen,
                                         reason=form.reason.data, key=form.key.data)
    except DomainError as exc:
        return _refused(exc, checkout, form)
    message = _refund_message(record)
    flash(message, "success")
    return redirect(url_for("backoffice.checkout_detail", checkout_id=checkout.id))


def _refused(exc, checkout, form):
    """Undo everything first, so the page shows what is stored; then say why: 403 without the permission, else
    400 (a NotFound still becomes a 404)."""
    db.session.rollback()
    flash_domain_error(exc)
    return render_template(DETAIL, **_context(checkout, form)), 403 if isinstance(exc, PermissionDenied) else 400


def _refund_message(record):
    parts = [_("已退款 ¥%(amount)s", amount=format_yuan(record.amount))]
    if record.balance_back:
        parts.append(_("退回储值 ¥%(n)s", n=format_yuan(record.balance_back)))
    if record.points_back:
        parts.append(_("退回积分 %(n)s", n=record.points_back))
    if record.points_taken_back:
        parts.append(_("扣回赠送积分 %(n)s", n=record.points_taken_back))
    if record.coupons_restored:
        parts.append(_("恢复优惠券 %(n)s 张", n=len(record.coupons_restored)))
    parts.extend(record.not_reversed or [])
    return "；".join(parts)
