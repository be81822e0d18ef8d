"""积分查询 (seed 004 3.7): every points change of a merchant in a date range of its timezone, filtered by physical
card number, member name or phone, kind and store, newest first, with the CSV / XLSX rows for the export.

Pages are keyset pages: each one starts after the (created_at, id) of the last row shown, read through
ix_points_transactions_merchant_created (merchant_id, created_at, id), so the hundredth page costs what the first
does however many millions of changes the merchant has. Card, name and phone are turned into member ids first (a
handful), and the changes are then read for those members; a name that matches too many members asks for more.
The export reads the same query a batch at a time (a server-side cursor on PostgreSQL), never every row at once.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import aliased

from domain.clock import local_midnight_utc, to_local
from domain.errors import DomainError
from domain.phone import mask_mobile
from models import Member, MemberIdentity, PointsTransaction, Staff, Store
from models.points import POINTS_KIND_LABELS, POINTS_KINDS
from services.card_stock import numbers as card_numbers
from services.shared.id_lists import among

PAGE_SIZE = 50
EXPORT_BATCH = 1000
MAX_TEXT = 64
MAX_MEMBERS = 200  # a name or phone fragment matching more members than this asks for a longer one
EXPORT_HEADER = ("时间", "会员姓名", "手机号", "实体卡号", "类型", "积分", "变动后积分", "原因/备注", "门店", "操作人")
KIND_LABELS = {kind: POINTS_KIND_LABELS[kind] for kind in POINTS_KINDS}  # the kind filter's choices, in order
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_CURSOR_MICROS = 10**17  # far beyond any real time: a longer number is not a cursor this page wrote


@dataclass(frozen=True)
class Filters:
    first: date  # the first and last day, in the merchant's timezone
    last: date
    card_no: str | None = None
    member: str | None = None  # a name or phone, or part of one
    kind: str | None = None
    store_id: int | None = None

    def query_args(self):
        """The filter as query-string arguments (only what is set), for the next page and the export links."""
        args = {"start": self.first.isoformat(), "end": self.last.isoformat(), "card_no": self.card_no,
                "member": self.member, "kind": self.kind, "store": self.store_id}
        return {key: value for key, value in args.items() if value not in (None, "")}


@dataclass(frozen=True)
class Row:
    id: int
    at: datetime
    member_id: int
    member_name: str
    mobile: str  # masked
    card_no: str
    kind: str
    kind_label: str
    amount: int
    balance_after: int
    note: str
    store: str
    operator: str


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str | None  # None on the last page


def filters(first, last, *, card_no=None, member=None, kind=None, store_id=None):
    """Filters from the period (already checked: services/reports/periods.py) and the typed texts, refused with a
    clear message when a text cannot be a card number, a name or a phone, or the kind is unknown."""
    return Filters(first, last, card_no=_text(card_no, "卡号", 32), member=_text(member, "会员姓名或手机号", MAX_TEXT),
                   kind=_kind(kind), store_id=store_id)


def page(session, merchant, wanted, cursor=None, size=None):
    """One page of changes after `cursor` (a text a previous page gave; None for the first page)."""
    size = size or PAGE_SIZE
    statement = _statement(session, merchant, wanted)
    if statement is None:
        return Page([], None)
    after = parse_cursor(cursor)
    if after is not None:
        at, row_id = after
        statement = statement.where(tuple_(PointsTransaction.created_at, PointsTransaction.id) < tuple_(at, row_id))
    found = [_row(values) for values in session.execute(statement.limit(size + 1))]
    more = len(found) > size
    found = found[:size]
    return Page(found, cursor_of(found[-1]) if more else None)


def export_rows(session, merchant, wanted):
    """The header, then every matching change as spreadsheet values, read a batch at a time."""
    yield EXPORT_HEADER
    statement = _statement(session, merchant, wanted)
    if statement is None:
        return
    # `with`: a download abandoned half way (the generator closed) closes the server-side cursor too
    with session.execute(statement.execution_options(yield_per=EXPORT_BATCH)) as result:
        for values in result:
            row = _row(values)
            yield (f"{to_local(row.at, merchant.timezone):%Y-%m-%d %H:%M:%S}", row.member_name, row.mobile,
                   row.card_no, row.kind_label, row.amount, row.balance_after, row.note, row.store, row.operator)


def cursor_of(row):
    micros = (row.at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{row.id}"


def parse_cursor(text):
    """(created_at, id) of a cursor text; None for none; DomainError for a text no page wrote."""
    text = (text or "").strip()
    if not text:
        return None
    micros, _, row_id = text.partition("-")
    if not (micros.isascii() and micros.isdigit() and row_id.isascii() and row_id.isdigit()) \
            or int(micros) >= _MAX_CURSOR_MICROS or not 0 < int(row_id) < 2**31:
        raise DomainError("翻页参数不正确，请回到第一页")
    return _EPOCH + timedelta(microseconds=int(micros)), int(row_id)


def _statement(session, merchant, wanted):
    """The SELECT of the matching changes, newest first; None when a card, name or phone matches nobody."""
    member_ids = _member_ids(session, merchant.id, wanted)
    if member_ids is not None and not member_ids:
        return None
    operator = aliased(Staff)
    card_no = (select(MemberIdentity.value)
               .where(MemberIdentity.merchant_id == merchant.id, MemberIdentity.member_id == PointsTransaction.member_id,
                      MemberIdentity.kind == "card_no", MemberIdentity.active.is_(True))
               .order_by(MemberIdentity.id.desc()).limit(1).correlate(PointsTransaction).scalar_subquery())
    statement = (
        select(PointsTransaction.id, PointsTransaction.created_at, PointsTransaction.member_id, PointsTransaction.kind,
               PointsTransaction.amount, PointsTransaction.balance_after, PointsTransaction.note,
               Member.name.label("member_name"), Member.mobile, card_no.label("card_no"),
               Store.name.label("store_name"), operator.name.label("operator_name"))
        .join(Member, and_(Member.id == PointsTransaction.member_id, Member.merchant_id == merchant.id))
        .outerjoin(Store, Store.id == PointsTransaction.store_id)
        .outerjoin(operator, operator.id == PointsTransaction.operator_id)
        .where(PointsTransaction.merchant_id == merchant.id,
               PointsTransaction.created_at >= local_midnight_utc(wanted.first, merchant.timezone),
               PointsTransaction.created_at < local_midnight_utc(wanted.last + timedelta(days=1), merchant.timezone))
        .order_by(PointsTransaction.created_at.desc(), PointsTransaction.id.desc()))
    if member_ids is not None:
        statement = statement.where(among(session, PointsTransaction.member_id, member_ids))
    if wanted.kind:
        statement = statement.where(PointsTransaction.kind == wanted.kind)
    if wanted.store_id:
        statement = statement.where(PointsTransaction.store_id == wanted.store_id)
    return statement


def _member_ids(session, merchant_id, wanted):
    """The members the card and the name or phone name (both when both are given); None when neither is."""
    if not wanted.card_no and not wanted.member:
        return None
    query = select(Member.id).where(Member.merchant_id == merchant_id)
    if wanted.card_no:
        # a swiped stripe or a scanned barcode stands for the number printed on the card
        number = card_numbers.printed_number(session, merchant_id, wanted.card_no)
        query = query.where(Member.id.in_(select(MemberIdentity.member_id).where(
            MemberIdentity.merchant_id == merchant_id, MemberIdentity.kind == "card_no",
            MemberIdentity.value.in_({number, wanted.card_no}))))
    if wanted.member:
        like = "%" + wanted.member.replace("%", "").replace("_", "") + "%"
        query = query.where(or_(Member.mobile == wanted.member, Member.mobile.like(like), Member.name.like(like)))
    ids = session.scalars(query.limit(MAX_MEMBERS + 1)).all()
    if len(ids) > MAX_MEMBERS:
        raise DomainError(f"匹配的会员超过 {MAX_MEMBERS} 位，请输入更完整的姓名、手机号或卡号")
    return ids


def _row(values):
    return Row(id=values.id, at=values.created_at, member_id=values.member_id, member_name=values.member_name or "",
               mobile=mask_mobile(values.mobile) or "", card_no=values.card_no or "", kind=values.kind,
               kind_label=POINTS_KIND_LABELS.get(values.kind, values.kind), amount=values.amount,
               balance_after=values.balance_after, note=values.note or "", store=values.store_name or "",
               operator=values.operator_name or "")


def _text(value, label, limit):
    text = (value or "").strip()
    if not text:
        return None
    if "\x00" in text:
        raise DomainError(f"{label}包含不允许的字符")
    if len(text) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字")
    return text


def _kind(value):
    value = (value or "").strip()
    if not value:
        return None
    if value not in POINTS_KINDS:
        raise DomainError("未知的积分类型")
    return value

