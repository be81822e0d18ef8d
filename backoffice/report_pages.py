"""What every report page shares: the period and store from the query string, the stores to pick from, and the
CSV / XLSX downloads (streamed: a long export is written while it is read)."""
from flask import Response, abort, request, send_file, stream_with_context
from flask_login import current_user

from domain.money import format_yuan
from extensions import db
from backoffice import blueprint
from services.reports import figures, periods
from services.shared import spreadsheets

CSV, XLSX = "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period_from_request():
    """The Period asked for. Dates that cannot be read raise a DomainError (400 with its message), another
    merchant's store a NotFound (404): web/errors.py renders both. Starts the page's count of days still unbuilt."""
    figures.start_counting_unbuilt()
    return periods.parse(db.session, current_user.merchant, request.args.get("start"), request.args.get("end"),
                         request.args.get("store"))


@blueprint.app_template_global("report_days_unbuilt")
def unbuilt_day_count():
    """How many days the page's figures still lack (a job is counting them): the frame says so."""
    return len({day for _family, day in figures.unbuilt()})


def store_names():
    return periods.store_names(db.session, current_user.merchant_id)


def export_format():
    """'csv', 'xlsx' or None (the page itself); anything else is a 404."""
    fmt = request.args.get("format")
    if fmt not in (None, "csv", "xlsx"):
        abort(404)
    return fmt


def money_cells(fmt):
    """How an export shows fen: exact yuan numbers in Excel (summable), yuan text in CSV."""
    return spreadsheets.yuan_number if fmt == "xlsx" else format_yuan


def file_name(prefix, period):
    """`<prefix>-<first day>-<last day>`, the name of a period's export."""
    return f"{prefix}-{period.first.isoformat()}-{period.last.isoformat()}"


def download(fmt, title, filename, rows, text_columns=()):
    """`rows` (an iterable: header first) as a streamed CSV or an XLSX sent from a temporary file."""
    if fmt == "csv":
        return Response(stream_with_context(spreadsheets.csv_stream(rows)), mimetype=CSV,
                        headers={"Content-Disposition": f"attachment; filename={filename}.csv"})
    return send_file(spreadsheets.xlsx_file(title, rows, text_columns), mimetype=XLSX, as_attachment=True,
                     download_name=f"{filename}.xlsx")
