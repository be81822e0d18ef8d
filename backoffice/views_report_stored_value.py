"""储值报表: top-ups online and at each store's counter, bonus given, spending from balance, refunds, gift cards and
the balance outstanding, per day and per store over a period, read from the daily rollups (services/reports). The
day report of balances per store (储值日报, /reports/prepaid) stays beside it."""
from flask import render_template
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from extensions import db
from services.reports import wallet_report


@blueprint.route("/reports/stored-value")
@requires("reports.view")
def report_stored_value():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    stores = report_pages.store_names()
    made = wallet_report.report(db.session, current_user.merchant, period, stores)
    if fmt:
        lines = made.days + [made.total]
        rows = wallet_report.table(lines, report_pages.money_cells(fmt))
        name = report_pages.file_name("stored-value", period)
        return report_pages.download(fmt, "储值报表", name, rows)
    return render_template("backoffice/reports/stored_value.html", period=period, stores=stores, report=made,
                           chart=wallet_report.chart(made.days), balance_chart=wallet_report.balance_chart(made.days),
                           ways=wallet_report.way_totals(made.total),
                           reconciliation=wallet_report.reconciliation(made.total))
