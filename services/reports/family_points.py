"""Points (积分): per store and day, the points ledger's changes by kind and direction, read from
points_transactions (the ledger is the source of truth; a change belongs to the store on it, or to none: 0).

Keys (count of changes, points, always positive): kind:<kind>:in for changes that add points, kind:<kind>:out for
those that take them, the kinds of models/points.py POINTS_KINDS: earn (issued: payments, top-ups, campaigns,
rewards), referral (推荐分成), spend (used: at the till, coupons, the points mall, 积分转储值), expire, adjust (+ and −
apart), reverse (a refund or a cancelled exchange: points taken back or given back).
"""
from sqlalchemy import Integer, String, case, func, literal, select

from models import PointsTransaction
from services.reports.families import register

FAMILY = "points"


@register(FAMILY)
def day_rows(window):
    txn = PointsTransaction
    direction = case((txn.amount > 0, literal(":in", String)), else_=literal(":out", String))
    return (select(txn.store_id.label("store_id"), (literal("kind:", String) + txn.kind + direction).label("key"),
                   literal(1, Integer).label("count"), func.abs(txn.amount).label("amount"))
            .where(txn.merchant_id == window.merchant_id, txn.created_at >= window.start,
                   txn.created_at < window.end))
