"""Verification records: filter, page, per-store day totals, and CSV / XLSX exports with the same filters."""
from datetime import date

from flask import Response, current_app, render_template, request
from flask_sqlalchemy.pagination import SelectPagination
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from domain.clock import local_today
from extensions import db
from models import CardTemplate, CouponTemplate
from services.shared import reading
from services.verification import reports

PER_PAGE = 50
FILTER_KEYS = ("date_from", "date_to", "store_id", "staff_id", "template_id", "day")


def _date(value):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _filters(args):
    coupon_template_id, card_template_id = reports.parse_template_choice(args.get("template_id"))
    return reports.Filters(date_from=_date(args.get("date_from")), date_to=_date(args.get("date_to")),
                           store_id=parse_int(args.get("store_id")), staff_id=parse_int(args.get("staff_id")),
                           template_id=coupon_template_id, card_template_id=card_template_id)


@blueprint.route("/verifications")
@requires("members.view")
def verifications():
    tz_name = current_user.merchant.timezone
    filters = _filters(request.args)
    page = parse_int(request.args.get("page"), 1)
    session = reading.session()  # records, totals and exports only read: the replica when one is configured
    pagination = SelectPagination(select=reports.records(current_user, filters, tz_name), session=session,
                                  page=page if page and page > 0 else 1, max_per_page=None, error_out=False,
                                  per_page=current_app.config.get("VERIFICATIONS_PER_PAGE", PER_PAGE))
    day = _date(request.args.get("day")) or filters.date_to or local_today(tz_name)
    templates = _template_choices()
    kept = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}
    return render_template(
        "backoffice/verification/records.html", pagination=pagination, args=request.args, kept_args=kept, day=day,
        totals=reports.day_totals(session, current_user, day, tz_name, filters),
        stores=reports.stores_for(session, current_user), staff=reports.staff_for(session, current_user),
        templates=templates, tz_name=tz_name, method_labels=reports.METHOD_LABELS,
        instrument_labels=reports.INSTRUMENT_LABELS, actor_name=reports.actor_name,
        chosen_template=_chosen(filters))


def _chosen(filters):
    if filters.template_id:
        return f"coupon:{filters.template_id}"
    return f"card:{filters.card_template_id}" if filters.card_template_id else ""


def _template_choices():
    """[(group label, [(value, title)])]: coupon templates, then card templates, for one filter select."""
    coupons = db.session.execute(select(CouponTemplate.id, CouponTemplate.title)
                                 .where(CouponTemplate.merchant_id == merchant_id()).order_by(CouponTemplate.id)).all()
    cards = db.session.execute(select(CardTemplate.id, CardTemplate.title)
                               .where(CardTemplate.merchant_id == merchant_id()).order_by(CardTemplate.id)).all()
    return [(_("优惠券"), [(f"coupon:{i}", title) for i, title in coupons]),
            (_("卡"), [(f"card:{i}", title) for i, title in cards])]


@blueprint.route("/verifications.csv")
@requires("members.view")
def verifications_csv():
    body = reports.export_csv(reading.session(), current_user, _filters(request.args), current_user.merchant.timezone)
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": "attachment; filename=verifications.csv"})


@blueprint.route("/verifications.xlsx")
@requires("members.view")
def verifications_xlsx():
    body = reports.export_xlsx(reading.session(), current_user, _filters(request.args), current_user.merchant.timezone)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Content-Disposition": "attachment; filename=verifications.xlsx"})
