"""The prepaid balance report: what members and gift cards hold at the end of a day, and that day's movements,
per store and in total (principal and bonus apart)."""
import csv
import io
from datetime import date

from flask import Response, render_template, request
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import requires
from domain.clock import local_today
from extensions import db
from services import prepaid_report


@blueprint.route("/reports/prepaid")
@requires("reports.view")
def prepaid_report_page():
    merchant = current_user.merchant
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = local_today(merchant.timezone)
    rows, total = prepaid_report.report(db.session, merchant, day)
    if request.args.get("format") == "csv":
        return _csv(prepaid_report.table(rows, total), f"prepaid-{day.isoformat()}.csv")
    return render_template("backoffice/prepaid_report.html", day=day, rows=rows, total=total)


def _csv(lines, filename):
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
