"""What the card-package push tests share: the queue's rows as they are, and one periodic run as a worker does it."""
from sqlalchemy import select

from domain.clock import now_utc
from models import CardPackagePush
from services.card_push import push


def pending_rows(db, merchant_id=None):
    db.session.expire_all()
    query = select(CardPackagePush).order_by(CardPackagePush.member_id)
    if merchant_id is not None:
        query = query.where(CardPackagePush.merchant_id == merchant_id)
    return db.session.scalars(query).all()


def push_all(db, now=None):
    """push_card_packages_everywhere's work, optionally as if at `now`."""
    counts = push.push_everywhere(db.session, 30, now_fn=(lambda: now) if now else now_utc)
    db.session.commit()
    return counts
