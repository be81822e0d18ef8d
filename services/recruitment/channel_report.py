"""The channel report (渠道分析): per source (a store's or staff member's code, a share channel's link, a member's
invite link, a campaign, a mass message), per kind of source and per staff member, what came through in a period:
joins, first payments, money paid in the first 30 days (services/recruitment/channel_cohort.py defines them),
coupon claims, card purchases, top-ups and paid memberships credited to it (money less what was refunded).

Every figure is grouped in the database; Python only names, sorts and pages the grouped rows. Joins without a
source are rows of their own (店员帮办 per staff member, and 自然流量), so the rows add up to every new member.
Read through services/shared/reading.py (the replica when configured), like every report.
"""
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from sqlalchemy import and_, case, func, select

from domain.channel_report import ASSISTED, EVENT_FIGURES, NATURAL, ROW_KIND_LABELS, ROW_KINDS, Figures
from domain.clock import local_midnight_utc
from domain.money import format_yuan
from domain.phone import mask_mobile
from domain.recruitment import SHARE_CHANNEL_LABELS
from models import Attribution, Member, Order, RecruitSource, Staff, Store
from services.recruitment import channel_cohort
from services.recruitment.channel_cohort import Scope
from services.shared.tenancy import scoped

# kinds whose every source is listed, brought something or not: the codes and links the merchant put out (a
# campaign's or a send's source shows when it brought something: old sends would otherwise pile up as zeros)
LISTED_KINDS = ("store", "staff", "share")


@dataclass
class Row:
    kind: str  # a source kind, ASSISTED or NATURAL
    name: str
    source_id: Optional[int] = None
    staff_id: Optional[int] = None  # the staff member of an ASSISTED row, or of the source
    store: str = ""
    staff: str = ""
    share_channel: str = ""
    figures: Figures = field(default_factory=Figures)

    @property
    def kind_label(self):
        return ROW_KIND_LABELS[self.kind]


def scope_of(merchant, period, store_id=None):
    """The Scope of a merchant's local Period (domain.channel_report), optionally one store of theirs."""
    return Scope(merchant.id, local_midnight_utc(period.first, merchant.timezone),
                 local_midnight_utc(period.last + timedelta(days=1), merchant.timezone), store_id)


def by_source(session, scope):
    """A row per source that brought something in the period (and per listed source with nothing yet), a row per
    staff member who signed customers up without a code (店员帮办), and the 自然流量 row."""
    keys = {}  # (source_id, assisted staff_id) -> Figures
    dialect = session.get_bind().dialect.name
    cohort = channel_cohort.members(scope, dialect).subquery()
    assisted = case((cohort.c.source_id.is_(None), cohort.c.staff_id))
    for source_id, staff_id, *values in session.execute(_cohort_figures(cohort, cohort.c.source_id, assisted)):
        _fill_cohort(keys.setdefault((source_id, staff_id), Figures()), values)
    events = _events(scope)
    credited = case((Attribution.source_id.is_(None), Attribution.staff_id))
    for source_id, staff_id, event, n, money in session.execute(
            events.add_columns(Attribution.source_id, credited, Attribution.event, func.count(), events_money())
            .group_by(Attribution.source_id, credited, Attribution.event)):
        _fill_event(keys.setdefault((source_id, staff_id), Figures()), event, n, money)
    return _named_rows(session, scope, keys)


def by_staff(session, scope):
    """A row per staff member: what their codes and links brought, and the customers they signed up themselves."""
    keys = {}
    cohort = channel_cohort.members(scope, session.get_bind().dialect.name).subquery()
    for staff_id, *values in session.execute(_cohort_figures(cohort, cohort.c.staff_key)
                                             .where(cohort.c.staff_key.is_not(None))):
        _fill_cohort(keys.setdefault(staff_id, Figures()), values)
    events = _events(scope)
    staff_key = func.coalesce(RecruitSource.staff_id, Attribution.staff_id)
    for staff_id, event, n, money in session.execute(
            events.add_columns(staff_key, Attribution.event, func.count(), events_money())
            .where(staff_key.is_not(None)).group_by(staff_key, Attribution.event)):
        _fill_event(keys.setdefault(staff_id, Figures()), event, n, money)
    names = _names(session, Staff, scope.merchant_id, keys)
    rows = [Row("staff", names.get(staff_id, f"#{staff_id}"), staff_id=staff_id, staff=names.get(staff_id, ""),
                figures=figures) for staff_id, figures in keys.items()]
    return sorted(rows, key=lambda row: (-row.figures.joins, row.name))


def by_kind(rows):
    """The rows summed per kind, in the kinds' order, kinds with nothing left out."""
    sums = {}
    for row in rows:
        sums.setdefault(row.kind, Figures()).add(row.figures)
    return [Row(kind, ROW_KIND_LABELS[kind], figures=sums[kind]) for kind in ROW_KINDS
            if kind in sums and not sums[kind].is_empty()]


def total(rows):
    """The figures of all `rows` together (合计)."""
    figures = Figures()
    for row in rows:
        figures.add(row.figures)
    return figures


def ordered(rows, key, direction):
    """`rows` by one figure (domain.channel_report.sort_of checked it), ties by kind and name."""
    sign = 1 if direction == "asc" else -1
    return sorted(rows, key=lambda row: (sign * getattr(row.figures, key), ROW_KINDS.index(row.kind), row.name))


def _cohort_figures(cohort, *keys):
    return (select(*keys, func.count(), func.coalesce(func.sum(cohort.c.first_paid), 0),
                   func.coalesce(func.sum(cohort.c.money), 0))
            .group_by(*keys))


def _fill_cohort(figures, values):
    figures.joins, figures.first_payments, figures.money = (int(v) for v in values)


def _events(scope):
    """Credited events other than joins in the period: a select to add the grouping and the figures to."""
    query = (select().select_from(Attribution)
             .outerjoin(RecruitSource, and_(RecruitSource.merchant_id == Attribution.merchant_id,
                                            RecruitSource.id == Attribution.source_id))
             .outerjoin(Order, and_(Attribution.reference_kind == "order", Order.merchant_id == Attribution.merchant_id,
                                    Order.id == Attribution.reference_id))
             .where(Attribution.merchant_id == scope.merchant_id, Attribution.event.in_(tuple(EVENT_FIGURES)),
                    Attribution.created_at >= scope.start, Attribution.created_at < scope.end))
    if scope.store_id is not None:
        query = query.where(Attribution.store_id == scope.store_id)
    return query


def events_money():
    """What the events brought, less what has been refunded of the orders they were paid with."""
    return func.coalesce(func.sum(Attribution.amount - func.coalesce(Order.refunded_amount, 0)), 0)


def _fill_event(figures, event, n, money):
    count_name, money_name = EVENT_FIGURES[event]
    setattr(figures, count_name, getattr(figures, count_name) + int(n))
    if money_name:
        setattr(figures, money_name, getattr(figures, money_name) + int(money))


def _named_rows(session, scope, keys):
    listed = scoped(RecruitSource, scope.merchant_id).where(RecruitSource.kind.in_(LISTED_KINDS),
                                                            RecruitSource.active.is_(True))
    if scope.store_id is not None:
        listed = listed.where(RecruitSource.store_id == scope.store_id)
    source_ids = {source_id for source_id, _staff in keys if source_id is not None}
    sources = {s.id: s for s in session.scalars(listed)}
    missing = source_ids - set(sources)
    if missing:
        sources.update((s.id, s) for s in session.scalars(scoped(RecruitSource, scope.merchant_id)
                                                           .where(RecruitSource.id.in_(sorted(missing)))))
    for source_id in sources:
        keys.setdefault((source_id, None), Figures())
    staff_names = _names(session, Staff, scope.merchant_id,
                         {s.staff_id for s in sources.values()} | {staff for _source, staff in keys})
    store_names = _names(session, Store, scope.merchant_id, {s.store_id for s in sources.values()})
    inviters = _inviters(session, scope.merchant_id, {s.member_id for s in sources.values() if s.kind == "member"})
    rows, natural = [], Figures()
    for (source_id, staff_id), figures in keys.items():
        if source_id is not None and source_id not in sources:
            natural.add(figures)  # not a source of this merchant's: credited to nobody here
        elif source_id is not None:
            source = sources[source_id]
            rows.append(Row(source.kind, _source_name(source, inviters), source_id=source.id,
                            staff_id=source.staff_id, store=store_names.get(source.store_id, ""),
                            staff=staff_names.get(source.staff_id, ""),
                            share_channel=SHARE_CHANNEL_LABELS.get(source.share_channel, ""), figures=figures))
        elif staff_id is not None:
            name = staff_names.get(staff_id, f"#{staff_id}")
            rows.append(Row(ASSISTED, name, staff_id=staff_id, staff=name, figures=figures))
        else:
            natural.add(figures)
    if not natural.is_empty():
        rows.append(Row(NATURAL, ROW_KIND_LABELS[NATURAL], figures=natural))
    return rows


def _source_name(source, inviters):
    if source.kind == "member":
        return f"{inviters.get(source.member_id, '')} 的邀请".strip()
    return source.name


def _names(session, model, merchant_id, ids):
    ids = sorted(i for i in ids if i is not None)
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.merchant_id == merchant_id,
                                                                   model.id.in_(ids))).all())


def _inviters(session, merchant_id, member_ids):
    """The inviting members as the report names them: their name, else their masked phone."""
    ids = sorted(i for i in member_ids if i is not None)
    if not ids:
        return {}
    return {member_id: name or mask_mobile(mobile) for member_id, name, mobile in session.execute(
        select(Member.id, Member.name, Member.mobile).where(Member.merchant_id == merchant_id, Member.id.in_(ids)))}


FIGURE_HEADERS = ("入会", "首次消费", "首30天实付（元）", "领券", "购券金额（元）", "购卡笔数", "购卡金额（元）", "充值笔数",
                  "充值金额（元）", "付费会员", "付费会员金额（元）")


def table(rows, *, per_staff=False, money=format_yuan):
    """The rows as a spreadsheet (header first, 合计 last); `money` turns fen into the cell's value."""
    head = ("店员",) if per_staff else ("类型", "渠道", "门店", "店员", "分享方式")
    lines = [[*head, *FIGURE_HEADERS]]
    for row in rows:
        who = (row.name,) if per_staff else (row.kind_label, row.name, row.store, row.staff, row.share_channel)
        lines.append([*who, *_figure_cells(row.figures, money)])
    lines.append(["合计", *([""] * (len(head) - 1)), *_figure_cells(total(rows), money)])
    return lines


def _figure_cells(f, money):
    return [f.joins, f.first_payments, money(f.money), f.coupon_claims, money(f.coupon_money), f.card_count,
            money(f.card_money), f.topup_count, money(f.topup_money), f.membership_count, money(f.membership_money)]
