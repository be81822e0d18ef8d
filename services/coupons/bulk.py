"""Bulk issue: one coupon to every member matching a filter, by a job, with progress the back office shows.

The job walks members in id order, a chunk at a time from `last_member_id`, and gives the chunk its codes in one
statement (services/issuance/coupons.py: stock, the per-member limit and the idempotency key `bulk:{bulk_id}:
{member_id}` kept by that statement). A chunk's codes and the new resume point are committed together (the job
commits after each chunk), so a worker killed mid-way and restarted continues without duplicates. Members are told
by a send or a campaign's message, not one notice per code: a million notices would be a million jobs.
"""
from datetime import date

from sqlalchemy import func, select, update

from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from models import BulkIssue, CouponTemplate, Level, Member, Merchant, Tag
from services.audiences import filters as audience_filters
from services.issuance import coupon_walk, coupons as issuance
from services.shared.tenancy import get_owned, scoped

CHUNK = 5000


def clean_filters(session, merchant, raw):
    """The filter as stored on the row: owned level and tag ids, ISO dates; anything else refused."""
    filters = {}
    if raw.get("level_id"):
        filters["level_id"] = get_owned(session, Level, merchant.id, raw["level_id"]).id
    if raw.get("tag_id"):
        filters["tag_id"] = get_owned(session, Tag, merchant.id, raw["tag_id"]).id
    for name in ("joined_from", "joined_until"):
        value = raw.get(name)
        if value:
            filters[name] = (value if isinstance(value, date) else _parse_date(value)).isoformat()
    if filters.get("joined_from") and filters.get("joined_until") and filters["joined_from"] > filters["joined_until"]:
        raise DomainError("注册日期的开始不能晚于结束")
    return filters


def matching(merchant, filters):
    """Active members of the merchant matching a stored filter (a select of Member), through the audience
    filters (services/audiences/filters.py: one implementation of member filters)."""
    chosen = audience_filters.Filters(
        level_ids=(filters["level_id"],) if filters.get("level_id") else (),
        tag_ids=(filters["tag_id"],) if filters.get("tag_id") else (),
        joined_from=date.fromisoformat(filters["joined_from"]) if filters.get("joined_from") else None,
        joined_to=date.fromisoformat(filters["joined_until"]) if filters.get("joined_until") else None)
    return select(Member).where(Member.status == "active",
                                *audience_filters.conditions(merchant.id, chosen, merchant.timezone))


def count_matching(session, merchant, filters):
    return session.scalar(select(func.count()).select_from(matching(merchant, filters).subquery()))


def start(session, staff, template_id, raw_filters, now=None):
    """A queued bulk issue for the staff member's merchant; the caller enqueues the job after commit."""
    merchant = staff.merchant
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not template.active:
        raise Conflict("该券已停止发放")
    filters = clean_filters(session, merchant, raw_filters)
    total = count_matching(session, merchant, filters)
    if total == 0:
        raise DomainError("没有符合条件的会员")
    bulk = BulkIssue(merchant_id=merchant.id, template_id=template.id, filters=filters, channel="bulk",
                     status="queued", total=total, created_by_id=staff.id, created_at=now or now_utc())
    session.add(bulk)
    session.flush()
    return bulk


def run_chunk(session, bulk_id, size=None, now=None):
    """Issue to the next `size` members. Returns True while there is more to do (commit between calls)."""
    size = size or CHUNK
    bulk = session.scalars(select(BulkIssue).where(BulkIssue.id == bulk_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()
    if bulk is None or bulk.status == "done":
        return False
    merchant = session.get(Merchant, bulk.merchant_id)
    bulk.status, bulk.error = "running", None
    step = coupon_walk.issue_next(session, merchant, bulk.template_id, matching(merchant, bulk.filters),
                                  issuance.Occasion(f"bulk:{bulk.id}:", bulk.channel), after=bulk.last_member_id,
                                  size=size, now=now or now_utc())
    bulk.issued += step.issued
    if step.stop:
        return _finish(bulk, now, note=f"{step.stop}，已停止发放")
    bulk.skipped += step.seen - step.issued  # over the per-member limit
    if step.last_id is not None:
        bulk.last_member_id = step.last_id
    if step.seen < size:
        return _finish(bulk, now)
    session.flush()
    return True


def mark_failed(session, bulk_id, error):
    session.execute(update(BulkIssue).where(BulkIssue.id == bulk_id, BulkIssue.status != "done")
                    .values(status="failed", error=str(error)[:500]).execution_options(synchronize_session=False))


def progress(bulk):
    """Percent of matched members handled (issued or skipped)."""
    if not bulk.total:
        return 100 if bulk.status == "done" else 0
    return min(100, (bulk.issued + bulk.skipped) * 100 // bulk.total)


def recent(session, merchant_id, limit=50):
    return session.scalars(scoped(BulkIssue, merchant_id).order_by(BulkIssue.id.desc()).limit(limit)).all()


def _finish(bulk, now, note=None):
    bulk.status, bulk.finished_at, bulk.error = "done", now or now_utc(), note
    if note:
        bulk.skipped = max(bulk.skipped, bulk.total - bulk.issued)  # members left without a coupon
    return False


def _parse_date(text):
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise DomainError("日期格式不正确") from None
