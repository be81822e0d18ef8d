"""The prepaid balance report: what members and gift cards hold at the end of a day, and that day's movements,
per store and in total (principal and bonus apart)."""
from datetime import date

from flask import Response, render_template, request
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import requires
from domain.clock import local_today
from services.wallet import prepaid_report
from services.shared import reading, spreadsheets

CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.route("/reports/prepaid")
@requires("reports.view")
def prepaid_report_page():
    merchant = current_user.merchant
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = local_today(merchant.timezone)
    rows, total = prepaid_report.report(reading.session(), merchant, day)  # read-only: the replica when configured
    fmt = request.args.get("format")
    if fmt == "csv":
        return _download(spreadsheets.csv_bytes(prepaid_report.table(rows, total)), CSV, day, "csv")
    if fmt == "xlsx":
        lines = prepaid_report.table(rows, total, money=spreadsheets.yuan_number)
        return _download(spreadsheets.xlsx_bytes(f"储值报表 {day.isoformat()}", lines), XLSX, day, "xlsx")
    return render_template("backoffice/wallet/prepaid_report.html", day=day, rows=rows, total=total,
                           topups=prepaid_report.topups(reading.session(), merchant, day))


def _download(body, mimetype, day, extension):
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=prepaid-{day.isoformat()}.{extension}"})
