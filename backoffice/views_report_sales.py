"""销售报表: the till's sales per day and per store over a period, with tenders, the members' share, discounts by
kind and refunds, read from the daily rollups (services/reports)."""
from flask import render_template
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from extensions import db
from services.reports import sales_report


@blueprint.route("/reports/sales")
@requires("reports.view")
def report_sales():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    stores = report_pages.store_names()
    total, days, by_store = sales_report.report(db.session, current_user.merchant, period, stores)
    if fmt:
        rows = sales_report.table(days + [total], report_pages.money_cells(fmt))
        return report_pages.download(fmt, "销售报表", report_pages.file_name("sales", period), rows)
    return render_template("backoffice/reports/sales.html", period=period, stores=stores, total=total, days=days,
                           by_store=by_store, discount_labels=sales_report.DISCOUNT_LABELS,
                           chart=sales_report.chart(days), tender_chart=sales_report.tender_chart(total))
