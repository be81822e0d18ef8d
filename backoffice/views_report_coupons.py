"""卡券报表 · 优惠券: codes given out and claimed per template and channel, uses per store, expiries, over a period,
read from the daily rollups (services/reports)."""
from flask import render_template, request
from flask_login import current_user

from backoffice import blueprint, report_pages
from backoffice.common import requires
from extensions import db
from services.reports import coupons_report

VIEWS = ("days", "templates")


@blueprint.route("/reports/coupons")
@requires("reports.view")
def report_coupons():
    period = report_pages.period_from_request()
    fmt = report_pages.export_format()
    view = request.args.get("view") if request.args.get("view") in VIEWS else "days"
    stores = report_pages.store_names()
    result = coupons_report.report(db.session, current_user.merchant, period)  # days built now commit with the request
    if fmt:
        money = report_pages.money_cells(fmt)
        lines = (result.templates if view == "templates" else result.days) + [result.total]
        name = report_pages.file_name(f"coupons-{view}", period)
        return report_pages.download(fmt, "优惠券报表", name, coupons_report.table(lines, money))
    return render_template("backoffice/reports/coupons.html", period=period, stores=stores, report=result,
                           chart=coupons_report.chart(result.days), channel_chart=coupons_report.channel_chart(result))
