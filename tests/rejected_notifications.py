"""What the payment notification URLs refused unverified, as the tests read it: counters per endpoint and reason."""
from sqlalchemy import select

from models import RejectedNotification


def rejected(db, merchant_id=None):
    """{(endpoint, reason): count} over every day, for one merchant (0: the unknown merchants' bucket) or all."""
    db.session.expire_all()
    query = select(RejectedNotification)
    if merchant_id is not None:
        query = query.where(RejectedNotification.merchant_id == merchant_id)
    counts = {}
    for row in db.session.scalars(query):
        counts[(row.endpoint, row.reason)] = counts.get((row.endpoint, row.reason), 0) + row.count
    return counts


def rows(db):
    db.session.expire_all()
    return db.session.scalars(select(RejectedNotification)).all()
