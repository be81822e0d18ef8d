"""店员绩效 in the back office (reports.view): per staff member and period, what they recruited, sold, brought in,
took at the till and verified, with totals; CSV and XLSX with the same filters. Commission shows to those who may
see it (commission.manage)."""
from datetime import date

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, parse_int, requires
from models import Store
from services.recruitment import performance
from services.shared import reading, spreadsheets
from services.shared.tenancy import scoped

CSV, XLSX = "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _report():
    """(period, store or None, rows, total, with_commission) for the query string; another merchant's store: 404."""
    tz_name = current_user.merchant.timezone
    session = reading.session()  # a report only reads: the replica when one is configured
    period = performance.period_of(_date(request.args.get("date_from")), _date(request.args.get("date_to")), tz_name)
    store_id = parse_int(request.args.get("store_id"))
    store = performance.store_of(session, merchant_id(), store_id) if store_id else None
    with_commission = current_user.can("commission.manage") and store is None
    rows, total = performance.report(session, merchant_id(), period, tz_name, store_id=store.id if store else None,
                                     with_commission=with_commission)
    return period, store, rows, total, with_commission


def _kept(period, store):
    return {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat(),
            **({"store_id": store.id} if store else {})}


@blueprint.route("/reports/staff-performance")
@requires("reports.view")
def staff_performance():
    period, store, rows, total, with_commission = _report()
    stores = reading.session().scalars(scoped(Store, merchant_id()).order_by(Store.id)).all()
    return render_template("backoffice/performance/staff.html", period=period, store=store, stores=stores, rows=rows,
                           total=total, with_commission=with_commission, kept_args=_kept(period, store),
                           card_columns=performance.CARD_COLUMNS, headers=_headers(with_commission))


def _headers(with_commission):
    """The table's columns: key columns lead a row's card on a phone."""
    cards = [(performance.CARD_LABELS[kind], "bo-num") for kind in performance.CARD_COLUMNS]
    return [(_("店员"), "bo-key"), (_("拉新会员"), "bo-num bo-key"), (_("付费会员"), "bo-num"), *cards,
            (_("带来充值"), "bo-num"), (_("收银"), "bo-num bo-key"), (_("核销"), "bo-num"),
            *([(_("提成"), "bo-num")] if with_commission else [])]


@blueprint.route("/reports/staff-performance.csv")
@requires("reports.view")
def staff_performance_csv():
    period, store, rows, total, with_commission = _report()
    body = spreadsheets.csv_bytes(performance.table(rows, total, with_commission))
    return _download(body, CSV, period, "csv")


@blueprint.route("/reports/staff-performance.xlsx")
@requires("reports.view")
def staff_performance_xlsx():
    period, store, rows, total, with_commission = _report()
    lines = performance.table(rows, total, with_commission, money=spreadsheets.yuan_number)
    body = spreadsheets.xlsx_bytes(f"店员绩效 {period.date_from}~{period.date_to}", lines)
    return _download(body, XLSX, period, "xlsx")


def _download(body, mimetype, period, extension):
    name = f"staff-performance-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})
