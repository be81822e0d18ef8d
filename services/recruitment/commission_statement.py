"""Commission statements (提成明细): per staff member and natural month in the merchant's timezone, the entries
with their kind, member (masked phone), base, rate and amount, the totals per kind, the month's summary of every
staff member, and both as spreadsheets (CSV with BOM, XLSX)."""
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from domain import commission as rules
from domain.clock import local_midnight_utc, local_today, to_local
from domain.money import format_yuan
from domain.phone import mask_mobile
from models import Staff
from models.commission import CommissionEntry
from services.shared.tenancy import get_owned

MONTHS_SHOWN = 24  # the month picker offers the last two years
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
SUMMARY_HEADER = ("店员", "拉新（元）", "充值提成（元）", "售卡提成（元）", "导购会员消费（元）", "退款冲回（元）", "合计（元）",
                  "笔数")
STATEMENT_HEADER = ("时间", "类型", "会员", "计提基数（元）", "比例", "金额（元）", "说明")


@dataclass
class Totals:
    """Sums per entry kind (fen; reversals negative), the net and the number of entries."""

    by_kind: dict = field(default_factory=lambda: {kind: 0 for kind in rules.ENTRY_KINDS})
    count: int = 0

    @property
    def net(self):
        return sum(self.by_kind.values())


@dataclass
class StaffMonth:
    staff_id: int
    name: str
    active: bool
    totals: Totals


def parse_month(text, tz_name, today=None):
    """'2026-12' -> date(2026, 12, 1); anything else (blank, malformed, impossible) is this month."""
    match = _MONTH.match((text or "").strip())
    if match and 2000 <= int(match.group(1)) <= 2999 and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1)
    return (today or local_today(tz_name)).replace(day=1)


def recent_months(tz_name, today=None):
    """The months the picker offers, newest first: [(date of the 1st, '2026年12月')]."""
    first = (today or local_today(tz_name)).replace(day=1)
    months = []
    for _ in range(MONTHS_SHOWN):
        months.append((first, f"{first.year}年{first.month}月"))
        first = _previous_month(first)
    return months


def month_bounds(month, tz_name):
    """The UTC instants the month starts and ends at in the merchant's timezone."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return local_midnight_utc(month, tz_name), local_midnight_utc(following, tz_name)


def _previous_month(first):
    return date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)


def _in_month(merchant_id, month, tz_name):
    start, end = month_bounds(month, tz_name)
    return (CommissionEntry.merchant_id == merchant_id, CommissionEntry.created_at >= start,
            CommissionEntry.created_at < end)


def _sums_by_kind():
    return [func.coalesce(func.sum(case((CommissionEntry.kind == kind, CommissionEntry.amount), else_=0)), 0)
            for kind in rules.ENTRY_KINDS]


def _totals(values, count):
    totals = Totals(count=int(count))
    totals.by_kind = {kind: int(value) for kind, value in zip(rules.ENTRY_KINDS, values)}
    return totals


def month_summary(session, merchant_id, month, tz_name):
    """Every staff member with entries in the month, with their totals (one GROUP BY), the largest net first."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.active, func.count(CommissionEntry.id), *_sums_by_kind())
        .join(Staff, (Staff.id == CommissionEntry.staff_id) & (Staff.merchant_id == merchant_id))
        .where(*_in_month(merchant_id, month, tz_name))
        .group_by(Staff.id, Staff.name, Staff.active)).all()
    summary = [StaffMonth(row[0], row[1], row[2], _totals(row[4:], row[3])) for row in rows]
    return sorted(summary, key=lambda s: (-s.totals.net, s.staff_id))


def summary_total(summary):
    total = Totals(count=sum(s.totals.count for s in summary))
    total.by_kind = {kind: sum(s.totals.by_kind[kind] for s in summary) for kind in rules.ENTRY_KINDS}
    return total


def staff_of(session, merchant_id, staff_id):
    """The merchant's staff member (NotFound for another merchant's id, so the page answers 404)."""
    return get_owned(session, Staff, merchant_id, staff_id)


def entries(merchant_id, staff_id, month, tz_name):
    """The staff member's entries in the month as a select (for a page or an export), oldest first."""
    return (select(CommissionEntry).where(*_in_month(merchant_id, month, tz_name),
                                          CommissionEntry.staff_id == staff_id)
            .options(selectinload(CommissionEntry.member))
            .order_by(CommissionEntry.created_at, CommissionEntry.id))


def staff_totals(session, merchant_id, staff_id, month, tz_name):
    row = session.execute(select(func.count(CommissionEntry.id), *_sums_by_kind())
                          .where(*_in_month(merchant_id, month, tz_name), CommissionEntry.staff_id == staff_id)).one()
    return _totals(row[1:], row[0])


def month_net(session, merchant_id, staff_id, tz_name, today=None):
    """What the staff member earned so far this month (the staff page's 我的)."""
    return staff_totals(session, merchant_id, staff_id, parse_month("", tz_name, today), tz_name).net


# --- what a line shows --------------------------------------------------------------------------------------

def kind_label(entry):
    return rules.ENTRY_KIND_LABELS.get(entry.kind, entry.kind)


def member_text(entry):
    member = entry.member
    if member is None:
        return ""
    name = (member.name or "").strip()
    return f"{name} {mask_mobile(member.mobile)}".strip()


def rate_text(entry):
    if entry.rate_bp is None:
        return "按人" if entry.kind == "new_member" else ""
    return f"{rules.percent_text(entry.rate_bp)}%"


# --- spreadsheets ---------------------------------------------------------------------------------------------

def _cell(text):
    """Text as a spreadsheet cell: a leading = + - @ would be run as a formula, so it is quoted."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _money(fen):
    return format_yuan(fen)


def summary_table(summary, money=_money):
    total = summary_total(summary)
    lines = [SUMMARY_HEADER]
    for staff in summary:
        lines.append((_cell(staff.name), *(money(staff.totals.by_kind[k]) for k in rules.ENTRY_KINDS),
                      money(staff.totals.net), staff.totals.count))
    lines.append(("合计", *(money(total.by_kind[k]) for k in rules.ENTRY_KINDS), money(total.net), total.count))
    return lines


def statement_table(session, merchant_id, staff, month, tz_name, money=_money):
    rows = session.scalars(entries(merchant_id, staff.id, month, tz_name)).all()
    totals = staff_totals(session, merchant_id, staff.id, month, tz_name)
    lines = [(f"{_cell(staff.name)} {month.year}年{month.month}月提成明细",), STATEMENT_HEADER]
    for entry in rows:
        lines.append((f"{to_local(entry.created_at, tz_name):%Y-%m-%d %H:%M}", kind_label(entry),
                      _cell(member_text(entry)), money(entry.base_amount) if entry.base_amount else "",
                      rate_text(entry), money(entry.amount), _cell(entry.note or "")))
    for kind in rules.ENTRY_KINDS:
        if totals.by_kind[kind]:
            lines.append(("小计", rules.ENTRY_KIND_LABELS[kind], "", "", "", money(totals.by_kind[kind]), ""))
    lines.append(("合计", "", "", "", "", money(totals.net), f"{totals.count} 笔"))
    return lines
