"""Orders members paid (or are paying) for: a filtered list, amounts in yuan, mobiles masked."""
from datetime import date, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from domain import orders as order_rules
from domain.clock import local_midnight_utc
from extensions import db
from models import Order
from services.shared.tenancy import scoped

PER_PAGE = 50


@blueprint.route("/orders")
@requires("members.view")
def orders():
    filters, query = _filtered(scoped(Order, merchant_id()))
    page = max(parse_int(request.args.get("page"), 1) or 1, 1)
    pagination = db.paginate(query.options(joinedload(Order.member)).order_by(Order.created_at.desc(), Order.id.desc()),
                             page=page, per_page=PER_PAGE, error_out=False)
    return render_template("backoffice/orders/list.html", pagination=pagination, filters=filters,
                           kept_args={k: v for k, v in filters.items() if v},
                           state_labels=order_rules.STATE_LABELS, kind_labels=order_rules.KIND_LABELS,
                           channel_labels=order_rules.ORDER_CHANNEL_LABELS)


def _filtered(query):
    """Known values only: an unknown state or a malformed date is ignored rather than an error page."""
    args = request.args
    filters = {"state": args.get("state") if args.get("state") in order_rules.STATES else "",
               "kind": args.get("kind") if args.get("kind") in order_rules.KINDS else "",
               "channel": args.get("channel") if args.get("channel") in order_rules.ORDER_CHANNELS else "",
               "date_from": _date(args.get("date_from")), "date_to": _date(args.get("date_to"))}
    for name in ("state", "kind", "channel"):
        if filters[name]:
            query = query.where(getattr(Order, name) == filters[name])
    tz_name = current_user.merchant.timezone
    if filters["date_from"]:
        query = query.where(Order.created_at >= local_midnight_utc(_parse(filters["date_from"]), tz_name))
    if filters["date_to"]:
        query = query.where(Order.created_at < local_midnight_utc(_parse(filters["date_to"]) + timedelta(days=1),
                                                                  tz_name))
    return filters, query


def _date(text):
    try:
        _parse(text)
    except (TypeError, ValueError):
        return ""
    return text


def _parse(text):
    return date.fromisoformat(text)
