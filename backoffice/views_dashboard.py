"""概览: the members and what they hold, for whoever enters the back office; today's figures and the last 30 days'
trends (services/reports/dashboard.py) for whoever may read reports."""
from flask import render_template
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from extensions import db
from services.reports import dashboard as report_dashboard


@blueprint.route("/")
@requires("backoffice.enter")
def dashboard():
    held = report_dashboard.holdings(db.session, merchant_id())
    tiles, trends = [], {}
    if current_user.can("reports.view"):
        tiles = report_dashboard.tiles(db.session, current_user.merchant)
        trends = report_dashboard.trends(db.session, current_user.merchant)
    return render_template("backoffice/dashboard.html", member_count=held.members, points_outstanding=held.points,
                           principal_outstanding=held.principal, bonus_outstanding=held.bonus, tiles=tiles,
                           trends=trends)
