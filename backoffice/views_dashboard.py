"""概览: the members and what they hold, for whoever enters the back office; today's figures and the last 30 days'
trends (services/reports/dashboard.py) for whoever may read reports."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from extensions import db
from models import Member, Wallet
from services.reports import dashboard as report_dashboard


@blueprint.route("/")
@requires("backoffice.enter")
def dashboard():
    mid = merchant_id()
    figures = db.session.execute(
        select(func.count(Member.id), func.coalesce(func.sum(Member.points_balance), 0))
        .where(Member.merchant_id == mid)
    ).one()
    stored = db.session.execute(
        select(func.coalesce(func.sum(Wallet.principal), 0), func.coalesce(func.sum(Wallet.bonus), 0))
        .where(Wallet.merchant_id == mid)
    ).one()
    tiles, trends = [], {}
    if current_user.can("reports.view"):
        tiles = report_dashboard.tiles(db.session, current_user.merchant)
        trends = report_dashboard.trends(db.session, current_user.merchant)
    return render_template("backoffice/dashboard.html", member_count=figures[0], points_outstanding=figures[1],
                           principal_outstanding=stored[0], bonus_outstanding=stored[1], tiles=tiles, trends=trends)
