from flask import render_template
from sqlalchemy import func, select

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from extensions import db
from models import Member, Wallet


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
    return render_template("backoffice/dashboard.html", member_count=figures[0], points_outstanding=figures[1],
                           principal_outstanding=stored[0], bonus_outstanding=stored[1])
