"""积分报表: points issued, used, expired, adjusted and reversed by kind, per day and per store over a period, read
from the daily rollups (services/reports). Looking up single members' changes is 积分查询 (services/points/lookup)."""
from flask import render_template
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from extensions import db
from services.reports import points_report


@blueprint.route("/reports/points")
@requires("reports.view")
def report_points():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    stores = report_pages.store_names()
    total, days, by_store = points_report.report(db.session, current_user.merchant, period, stores)
    if fmt:
        name = report_pages.file_name("points", period)
        return report_pages.download(fmt, "积分报表", name, points_report.table(days + [total]))
    return render_template("backoffice/reports/points.html", period=period, stores=stores, total=total, days=days,
                           by_store=by_store, entries=points_report.entries(total),
                           chart=points_report.chart(days))
