"""会员报表: new members per day by channel, WeChat fans to members, and the members on the books, active, dormant
and per level at each day's end, over a period and optionally one store, read from the daily rollups
(services/reports/members_report.py)."""
from flask import render_template
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from extensions import db
from services.reports import members_report


@blueprint.route("/reports/members")
@requires("reports.view")
def report_members():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    stores = report_pages.store_names()
    report = members_report.report(db.session, current_user.merchant, period)
    if fmt:
        name = report_pages.file_name("members", period)
        return report_pages.download(fmt, "会员报表", name, members_report.table(report))
    return render_template("backoffice/reports/members.html", period=period, stores=stores, report=report,
                           new_chart=members_report.new_chart(report.days, report.fans_shown),
                           channel_chart=members_report.channel_chart(report.channels),
                           totals_chart=members_report.totals_chart(report.days))
