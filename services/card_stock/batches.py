"""Making a batch of physical member cards (制卡), and reading batches and their cards.

A batch up to INLINE_MAX cards is made in the request that asks for it; a larger one is made by a job
(jobs/card_stock.py), CHUNK cards per transaction. Either way a chunk is one INSERT of its rows (PINs encrypted by
the column type) and the batch's `made` counter moves in the same transaction, so a job stopped in the middle
resumes where it was and never makes a card twice.
"""
from sqlalchemy import func, insert, or_, select

from domain import card_stock as rules
from domain.errors import Conflict, DomainError, PermissionDenied
from models import MemberCardBatch, MemberCardStock
from services.card_stock import numbers
from services.merchant import audit
from services.shared import job_queue
from services.shared.tenancy import get_owned, scoped

MAKE_JOB = "jobs.card_stock.make_batch"


def require(actor, permission, message="只有店主或管理员可以管理实体卡库存"):
    if not actor.can(permission):
        raise PermissionDenied(message)


def make_batch(session, actor, *, name, quantity, prefix="", with_track=False, with_barcode=False, with_pin=False,
               ip=None):
    """A new batch of `quantity` cards: made now when small, else queued for the job (status 'making')."""
    require(actor, "card_stock.manage")
    name, quantity, prefix = rules.check_batch(name, quantity, prefix)
    batch = MemberCardBatch(merchant_id=actor.merchant_id, name=name, quantity=quantity, prefix=prefix,
                            with_track=bool(with_track), with_barcode=bool(with_barcode), with_pin=bool(with_pin),
                            created_by_id=actor.id, status="making", made=0)
    session.add(batch)
    session.flush()
    audit.record(session, actor, "card_stock.batch_make", "member_card_batch", batch.id, ip=ip,
                 after={"name": name, "quantity": quantity, "prefix": prefix, "with_track": batch.with_track,
                        "with_barcode": batch.with_barcode, "with_pin": batch.with_pin})
    if quantity <= rules.INLINE_MAX:
        while make_chunk(session, batch.id):
            pass
    else:
        job_queue.enqueue(session, MAKE_JOB, batch.id, job_id=f"card-stock-batch-{batch.id}")
    return batch


def make_chunk(session, batch_id):
    """Make the batch's next CHUNK cards (one INSERT) and count them; True while cards are still to be made.

    The batch row is locked first, so two runs of the job at once make the chunk once."""
    batch = session.scalars(select(MemberCardBatch).where(MemberCardBatch.id == batch_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    left = batch.quantity - batch.made
    if left <= 0:
        batch.status, batch.failure = "done", None
        session.flush()
        return False
    count = min(left, rules.CHUNK)
    rows = numbers.fresh_cards(session, batch.merchant_id, count, prefix=batch.prefix, with_track=batch.with_track,
                               with_barcode=batch.with_barcode, with_pin=batch.with_pin)
    session.execute(insert(MemberCardStock), [
        {"merchant_id": batch.merchant_id, "batch_id": batch.id, "state": "made", **row} for row in rows])
    batch.made += count
    batch.status, batch.failure = ("done" if batch.made == batch.quantity else "making"), None
    session.flush()
    return batch.status == "making"


def mark_failed(session, batch_id, exc):
    """The job stopped on an error: the batch says so (the cards made so far stand; a retry goes on)."""
    batch = session.get(MemberCardBatch, batch_id)
    if batch is not None and batch.made < batch.quantity:
        batch.status, batch.failure = "failed", (str(exc) or type(exc).__name__)[:200]
        session.flush()


def resume(session, actor, batch_id, ip=None):
    """A batch whose job gave up (status 'failed') is queued again; it goes on from the cards already made."""
    require(actor, "card_stock.manage")
    batch = batch_of(session, actor.merchant_id, batch_id)
    if batch.status != "failed":
        raise Conflict("该批次没有制卡失败，无需继续")
    batch.status, batch.failure = "making", None
    session.flush()
    audit.record(session, actor, "card_stock.batch_resume", "member_card_batch", batch.id, ip=ip,
                 after={"made": batch.made, "quantity": batch.quantity})
    job_queue.enqueue(session, MAKE_JOB, batch.id, job_id=f"card-stock-batch-{batch.id}-{batch.made}")
    return batch


# --- reading ------------------------------------------------------------------------------------------------

def batches_query(merchant_id):
    """The merchant's batches, newest first (the view pages them)."""
    return scoped(MemberCardBatch, merchant_id).order_by(MemberCardBatch.id.desc())


def batch_of(session, merchant_id, batch_id):
    return get_owned(session, MemberCardBatch, merchant_id, batch_id)


def state_counts(session, merchant_id, batch_ids):
    """{batch id: {state: cards}} for these batches, in one grouped query."""
    counts = {batch_id: dict.fromkeys(rules.STATES, 0) for batch_id in batch_ids}
    if not counts:
        return counts
    rows = session.execute(select(MemberCardStock.batch_id, MemberCardStock.state, func.count())
                           .where(MemberCardStock.merchant_id == merchant_id,
                                  MemberCardStock.batch_id.in_(list(counts)))
                           .group_by(MemberCardStock.batch_id, MemberCardStock.state)).all()
    for batch_id, state, count in rows:
        counts[batch_id][state] = count
    return counts


def totals(session, merchant_id):
    """{state: cards} over all the merchant's stock."""
    counts = dict.fromkeys(rules.STATES, 0)
    counts.update(dict(session.execute(select(MemberCardStock.state, func.count())
                                       .where(MemberCardStock.merchant_id == merchant_id)
                                       .group_by(MemberCardStock.state)).all()))
    return counts


def cards_query(merchant_id, batch_id, state=None, number=None):
    """A batch's cards in printing order, optionally in one state and matching a number (part of the printed
    number, or a whole stripe number or barcode). The view pages it."""
    query = scoped(MemberCardStock, merchant_id).where(MemberCardStock.batch_id == batch_id)
    if state in rules.STATES:
        query = query.where(MemberCardStock.state == state)
    if number:
        cleaned = rules.clean_number(number)
        query = query.where(or_(MemberCardStock.card_no.contains(cleaned, autoescape=True),
                                MemberCardStock.track_no == cleaned, MemberCardStock.barcode == cleaned))
    return query.order_by(MemberCardStock.card_no)


def check_search(number):
    """The search box's text cleaned, or a DomainError saying what a number may hold."""
    if not number:
        return ""
    try:
        return rules.clean_number(number)
    except DomainError:
        raise DomainError("请输入卡号、磁条号或条码（字母或数字）") from None
