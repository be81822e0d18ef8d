"""Every lookup of a tenant-owned row goes through here, so it is always scoped to the merchant."""
from sqlalchemy import select

from domain.errors import NotFound
from models import Merchant


def scoped(model, merchant_id):
    return select(model).where(model.merchant_id == merchant_id)


MAX_ID = 2**31 - 1  # ids are 32-bit integer columns


def checked_id(object_id):
    """A row id as typed or sent: an integer in the column's range, else NotFound (never a database error)."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise NotFound("记录不存在") from None
    if not 0 < object_id <= MAX_ID:
        raise NotFound("记录不存在")
    return object_id


def get_owned(session, model, merchant_id, object_id, lock=False):
    """The row with this id if it belongs to the merchant; NotFound otherwise (never another merchant's)."""
    query = scoped(model, merchant_id).where(model.id == checked_id(object_id))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound("记录不存在")
    return row


def merchant_timezone(session, merchant_id):
    """The merchant's timezone, for local days and display (the merchant row is usually in the identity map)."""
    return session.get(Merchant, merchant_id).timezone


def owned_ids(session, model, merchant_id, ids):
    """Rows for these ids, refusing the whole set if any is not the merchant's."""
    wanted = {int(i) for i in ids}
    if not wanted:
        return []
    rows = session.scalars(scoped(model, merchant_id).where(model.id.in_(wanted))).all()
    if len(rows) != len(wanted):
        raise NotFound("记录不存在")
    return rows
