"""Guides (专属导购): which guide serves a member, bound when the member joins through a guide's code or with a
guide's help, rebound by a later scan when the merchant allows it, reassigned in the back office one by one or in
bulk with a reason; every change kept as a GuideChange row (the history the member's page shows).

Every change is a conditional update on the member's guide (`WHERE guide_id IS NULL` for a first binding, `WHERE
guide_id = <the one read>` for a move), so two staff binding one member at once leave one guide and one history
row. Only active staff of the member's merchant whose role is guide can be given members.
"""
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import selectinload

from domain import roles
from domain.clock import DEFAULT_TIMEZONE, now_utc
from domain.errors import DomainError, NotFound, PermissionDenied
from models import GuideChange, Member, RecruitSettings, Staff
from models.base import UTCDateTime
from services.audiences import filters as audience_filters
from services.merchant import audit
from services.recruitment import sources
from services.recruitment.attribution import Touch
from services.shared.id_lists import among
from services.shared.tenancy import scoped
from services.shared.text import required_text

MOVE_CHUNK = 1000  # members moved per statement in a bulk move
MAX_SELECTED = 1000  # members ticked one by one in a bulk move
MAX_REASON = 200
HISTORY_SHOWN = 50


# --- who may be a guide ---------------------------------------------------------------------------------

def is_guide(staff):
    return staff is not None and staff.active and staff.role == roles.GUIDE


def choosable(session, merchant_id):
    """The guides a member can be given: this merchant's active staff whose role is guide, by name."""
    return list(session.scalars(scoped(Staff, merchant_id).where(Staff.role == roles.GUIDE, Staff.active.is_(True))
                                .order_by(Staff.name, Staff.id)))


def chosen_guide(session, merchant_id, staff_id):
    """The guide with this id, if they can be given members; another merchant's staff, someone who left or who is
    not a guide is refused."""
    staff = _staff(session, merchant_id, staff_id)
    if not is_guide(staff):
        raise DomainError("只能选择本商户在职的导购")
    return staff


def guide_of_touch(session, merchant_id, touch):
    """The guide behind a join or a scan: the staff member who helped, or the one whose code it was."""
    staff_id = touch.staff_id
    if staff_id is None and touch.source_id is not None:
        source = sources.get(session, merchant_id, touch.source_id)
        staff_id = source.staff_id if source is not None else None
    staff = _staff(session, merchant_id, staff_id)
    return staff if is_guide(staff) else None


def rebinds_on_scan(session, merchant_id):
    """The merchant's choice (招募设置): whether a member who scans another guide's code moves to that guide."""
    settings = session.get(RecruitSettings, merchant_id)
    return bool(settings is not None and settings.rebind_guide_on_scan)


# --- bound by a join or a scan --------------------------------------------------------------------------

def bind_on_join(session, merchant, member, touch, now=None):
    """A member who joins through a guide's code (or with a guide's help at the counter) is that guide's: the first
    guide wins; a scan of another guide's code moves them only when the merchant allows it. True if bound now."""
    guide = guide_of_touch(session, merchant.id, touch)
    if guide is None:
        return False
    how = "scan" if touch.source_id is not None else "assisted"
    may_move = how == "scan" and rebinds_on_scan(session, merchant.id)
    return _bind(session, merchant.id, member, guide, how, may_move, now or now_utc())


def bind_on_scan(session, merchant, member, source, now=None):
    """An existing member opened a guide's link (/j/<token>): bound to the guide if they have none, moved to them
    if the merchant lets a later scan rebind. True if the member's guide changed."""
    guide = guide_of_touch(session, merchant.id, Touch.of(source))
    if guide is None or member.merchant_id != merchant.id:
        return False
    return _bind(session, merchant.id, member, guide, "scan", rebinds_on_scan(session, merchant.id),
                 now or now_utc())


def _bind(session, merchant_id, member, guide, how, may_move, now):
    if _set_guide(session, merchant_id, member.id, expected=None, to=guide.id, now=now):
        _history(session, merchant_id, member, None, guide.id, how)
        return True
    if not may_move:
        return False
    current = _current_guide_id(session, merchant_id, member.id)
    if current is None or current == guide.id:
        return False
    if _set_guide(session, merchant_id, member.id, expected=current, to=guide.id, now=now):
        _history(session, merchant_id, member, current, guide.id, how)
        return True
    return False


# --- the back office: one member --------------------------------------------------------------------------

def bind_new_member(session, actor, member, guide_id, now=None):
    """A member just created in the back office with a guide chosen (by a guide: themselves) is bound like any
    first binding, kept in the history with who did it. Returns the member."""
    if not guide_id:
        return member
    guide = chosen_guide(session, member.merchant_id, guide_id)
    how = "assisted" if actor is not None and actor.id == guide.id else "manual"
    if _set_guide(session, member.merchant_id, member.id, expected=None, to=guide.id, now=now or now_utc()):
        _history(session, member.merchant_id, member, None, guide.id, how, operator=actor)
    return member


def reassign(session, actor, member, guide_id, *, reason, now=None):
    """Give the member another guide (guide_id), or none (None: 解除绑定), with a required reason; refused if
    someone changed the member's guide since it was read. Audited. Returns the member."""
    _check_may_reassign(actor, member.merchant_id)
    reason = required_text(reason, "原因", MAX_REASON)
    to = chosen_guide(session, member.merchant_id, guide_id) if guide_id else None
    current = _current_guide_id(session, member.merchant_id, member.id)
    to_id = to.id if to is not None else None
    if current == to_id:
        raise DomainError("该会员已由这位导购服务" if to_id else "该会员目前没有专属导购")
    if not _set_guide(session, member.merchant_id, member.id, expected=current, to=to_id, now=now or now_utc()):
        raise DomainError("该会员的导购刚被其他人修改，请刷新后重试")
    _history(session, member.merchant_id, member, current, to_id, "manual" if to_id else "removed", reason=reason,
             operator=actor)
    audit.record(session, actor, "member.guide", "member", member.id, before={"guide_id": current},
                 after={"guide_id": to_id, "reason": reason})
    return member


# --- the back office: many members at once (导购分配) -------------------------------------------------------

def move_members(session, actor, *, from_guide_id, to_guide_id, reason, member_ids=None, filters=None,
                 tz_name=DEFAULT_TIMEZONE, now=None, chunk=MOVE_CHUNK):
    """Move members of one guide (who may have left) to another active guide: all of them, the ticked ones
    (`member_ids`) or those an audience's `filters` hold. Set-based: per chunk one UPDATE that picks and moves the
    next members still with the old guide, and one INSERT … SELECT writing their history rows. Audited once.
    Returns how many members moved."""
    merchant_id = actor.merchant_id
    _check_may_reassign(actor, merchant_id)
    reason = required_text(reason, "原因", MAX_REASON)
    source = _staff(session, merchant_id, from_guide_id)
    if source is None:
        raise NotFound("原导购不存在")
    target = chosen_guide(session, merchant_id, to_guide_id)
    if target.id == source.id:
        raise DomainError("原导购和新导购不能是同一人")
    now = now or now_utc()
    picked = [Member.merchant_id == merchant_id, Member.guide_id == source.id]
    if member_ids is not None:
        ids = _clean_ids(member_ids)
        if not ids:
            raise DomainError("请勾选要转移的会员")
        picked.append(among(session, Member.id, ids))
    if filters is not None:
        picked += audience_filters.conditions(merchant_id, filters, tz_name, now)
    moved_total = 0
    while True:
        # Moved members no longer match `picked`, so each round's sub-select takes the next ones.
        next_ids = select(Member.id).where(*picked).order_by(Member.id).limit(chunk).correlate(None)
        moved = session.execute(
            update(Member).where(Member.merchant_id == merchant_id, Member.guide_id == source.id,
                                 Member.id.in_(next_ids))
            .values(guide_id=target.id, guide_bound_at=now).returning(Member.id)
            .execution_options(synchronize_session=False)).scalars().all()
        if not moved:
            break
        _bulk_history(session, merchant_id, moved, source.id, target.id, reason, actor.id, now)
        moved_total += len(moved)
    if moved_total == 0:
        raise DomainError("没有符合条件的会员可以转移")
    session.expire_all()  # members already in the session must show their new guide
    audit.record(session, actor, "guide.bulk_move", "staff", source.id, before={"guide_id": source.id},
                 after={"guide_id": target.id, "count": moved_total, "reason": reason})
    return moved_total


def _bulk_history(session, merchant_id, member_ids, from_id, to_id, reason, operator_id, now):
    rows = select(literal(merchant_id), Member.id, literal(from_id), literal(to_id), literal("bulk"),
                  literal(reason), literal(operator_id), literal(now, UTCDateTime())).where(
        Member.merchant_id == merchant_id, among(session, Member.id, member_ids))
    session.execute(insert(GuideChange).from_select(
        ["merchant_id", "member_id", "from_staff_id", "to_staff_id", "how", "reason", "operator_id", "created_at"],
        rows))


def _clean_ids(values):
    ids = set()
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise DomainError("会员选择有误，请刷新后重试") from None
        if not 0 < number < 2 ** 63:
            raise DomainError("会员选择有误，请刷新后重试")
        ids.add(number)
    if len(ids) > MAX_SELECTED:
        raise DomainError(f"一次最多勾选 {MAX_SELECTED} 位会员，更多请按条件或全部转移")
    return sorted(ids)


# --- reading ----------------------------------------------------------------------------------------------

def history(session, merchant_id, member_id, limit=HISTORY_SHOWN):
    """The member's guide changes, newest first, with the people named."""
    return list(session.scalars(
        scoped(GuideChange, merchant_id).where(GuideChange.member_id == member_id)
        .options(selectinload(GuideChange.from_staff), selectinload(GuideChange.to_staff),
                 selectinload(GuideChange.operator))
        .order_by(GuideChange.id.desc()).limit(limit)))


def guides_with_counts(session, merchant_id):
    """[(staff, members they guide)] for every active guide and anyone else who still guides members (a guide
    who left keeps their members until they are moved), busiest first."""
    counts = dict(session.execute(
        select(Member.guide_id, func.count(Member.id)).where(Member.merchant_id == merchant_id,
                                                             Member.guide_id.is_not(None))
        .group_by(Member.guide_id)).all())
    people = {s.id: s for s in choosable(session, merchant_id)}
    missing = [staff_id for staff_id in counts if staff_id not in people]
    if missing:
        people.update({s.id: s for s in session.scalars(scoped(Staff, merchant_id).where(Staff.id.in_(missing)))})
    return sorted(((s, counts.get(s.id, 0)) for s in people.values()), key=lambda pair: (-pair[1], pair[0].id))


def guided_members(merchant_id, guide_id, text=None):
    """A query for a guide's own members (the staff page's 我的会员), optionally searched by phone, name or card
    number, most recently bound first. Nobody else's members: the guide's id is in the query itself."""
    chosen = audience_filters.Filters(text=audience_filters.parse({"text": text}).text if text else None)
    return (select(Member).where(*audience_filters.conditions(merchant_id, chosen, DEFAULT_TIMEZONE),
                                 Member.guide_id == guide_id)
            .order_by(Member.guide_bound_at.desc().nulls_last(), Member.id.desc()))


# --- the statements ---------------------------------------------------------------------------------------

def _set_guide(session, merchant_id, member_id, *, expected, to, now):
    """Set the member's guide if it still is `expected` (None: still has none). True if this call changed it."""
    condition = Member.guide_id.is_(None) if expected is None else Member.guide_id == expected
    changed = session.execute(
        update(Member).where(Member.merchant_id == merchant_id, Member.id == member_id, condition)
        .values(guide_id=to, guide_bound_at=now if to is not None else None)
        .execution_options(synchronize_session=False)).rowcount
    return changed == 1


def _current_guide_id(session, merchant_id, member_id):
    found = session.execute(select(Member.guide_id).where(Member.merchant_id == merchant_id,
                                                          Member.id == member_id)).first()
    if found is None:
        raise NotFound("会员不存在")
    return found[0]


def _history(session, merchant_id, member, from_id, to_id, how, *, reason=None, operator=None):
    session.add(GuideChange(merchant_id=merchant_id, member_id=member.id, from_staff_id=from_id, to_staff_id=to_id,
                            how=how, reason=reason, operator_id=operator.id if operator is not None else None))
    session.flush()
    session.expire(member, ["guide_id", "guide_bound_at", "guide"])


def _staff(session, merchant_id, staff_id):
    if staff_id is None:
        return None
    try:
        staff_id = int(staff_id)
    except (TypeError, ValueError):
        return None
    if not 0 < staff_id < 2 ** 31:
        return None
    return session.scalars(scoped(Staff, merchant_id).where(Staff.id == staff_id)).first()


def _check_may_reassign(actor, merchant_id):
    if actor is None or actor.merchant_id != merchant_id or not roles.can(actor.role, "guides.reassign"):
        raise PermissionDenied("您没有权限更换导购")
