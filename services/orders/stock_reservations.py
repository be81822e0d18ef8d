"""Stock taken when an order is created and given back when it closes unpaid, for any template with
`stock_total` / `stock_issued` (card templates, coupon templates).

One conditional UPDATE each way: of many buyers at once only those who fit get units, and an order's units come
back once (only the call that closed the order releases them).
"""
from sqlalchemy import select, update

from domain.errors import Conflict


def reserve(session, model, template_id, quantity, what="库存"):
    """Take `quantity` units at once, or refuse saying how many are left."""
    taken = session.execute(
        update(model).where(model.id == template_id,
                            model.stock_total.is_(None) | (model.stock_issued + quantity <= model.stock_total))
        .values(stock_issued=model.stock_issued + quantity).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        left = session.scalar(select(model.stock_total - model.stock_issued).where(model.id == template_id))
        raise Conflict(f"{what}已售罄" if not left else f"{what}库存不足，仅剩 {left} 张", left=left or 0)
    template = session.get(model, template_id)
    if template is not None:
        session.expire(template, ["stock_issued"])


def release(session, model, merchant_id, template_id, quantity):
    """Give `quantity` units back (never below zero)."""
    if not quantity or template_id is None:
        return
    session.execute(
        update(model).where(model.id == template_id, model.merchant_id == merchant_id,
                            model.stock_issued >= quantity)
        .values(stock_issued=model.stock_issued - quantity).execution_options(synchronize_session=False))
