"""Verification records for reconciliation: merchant-scoped queries, filters, per-store day totals, exports.

Store-bound roles (guide, cashier, verifier) see only the records of their own stores.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from domain.clock import local_midnight_utc, to_local
from domain.money import format_yuan
from models import Card, CouponCode, Store, Verification
from models.staff import Staff
from services.shared import spreadsheets

METHOD_LABELS = {"scan": "扫码", "manual": "手动输入", "api": "接口", "self": "会员自助买单"}
INSTRUMENT_LABELS = {"coupon": "优惠券", "count_card": "次卡", "timed_card": "时长卡", "gift_card": "礼品卡",
                     "benefit_card": "权益卡", "gift_exchange": "积分商城礼品"}
HEADER = ("核销时间", "门店", "员工", "类型", "名称", "券/卡码", "核销方式", "使用次数", "卡内扣款（元）",
          "实收金额（元）", "状态")


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None  # merchant-local dates, inclusive
    date_to: date | None = None
    store_id: int | None = None
    staff_id: int | None = None
    template_id: int | None = None  # a coupon template
    card_template_id: int | None = None


def parse_template_choice(value):
    """'coupon:12' or a bare '12' -> (12, None); 'card:5' -> (None, 5); anything else -> (None, None)."""
    kind, _, number = (value or "").strip().rpartition(":")
    if not number.isdigit() or kind not in ("", "coupon", "card"):
        return None, None
    return (None, int(number)) if kind == "card" else (int(number), None)


def visible_store_ids(viewer):
    """None for every store of the merchant; the viewer's own store ids for a store-bound role."""
    return [s.id for s in viewer.stores] if viewer.is_store_bound else None


def _where(viewer, filters: Filters, tz_name):
    clauses = [Verification.merchant_id == viewer.merchant_id]
    own = visible_store_ids(viewer)
    if own is not None:
        clauses.append(Verification.store_id.in_(own))
    if filters.date_from:
        clauses.append(Verification.created_at >= local_midnight_utc(filters.date_from, tz_name))
    if filters.date_to:
        clauses.append(Verification.created_at < local_midnight_utc(filters.date_to + timedelta(days=1), tz_name))
    if filters.store_id:
        clauses.append(Verification.store_id == filters.store_id)
    if filters.staff_id:
        clauses.append(Verification.staff_id == filters.staff_id)
    if filters.template_id:
        clauses.append(Verification.coupon_code_id.in_(
            select(CouponCode.id).where(CouponCode.merchant_id == viewer.merchant_id,
                                        CouponCode.template_id == filters.template_id)))
    if filters.card_template_id:
        clauses.append(Verification.card_id.in_(
            select(Card.id).where(Card.merchant_id == viewer.merchant_id, Card.template_id == filters.card_template_id)))
    return clauses


def records(viewer, filters: Filters, tz_name):
    """A select of the matching records, newest first, for pagination or export."""
    return (select(Verification).where(*_where(viewer, filters, tz_name))
            .options(selectinload(Verification.store), selectinload(Verification.staff),
                     selectinload(Verification.coupon_code), selectinload(Verification.card),
                     selectinload(Verification.api_key))
            .order_by(Verification.created_at.desc(), Verification.id.desc()))


def day_totals(session, viewer, day: date, tz_name, filters: Filters = Filters()):
    """[(store name, count, amount received in fen)] for one local day; undone records are left out."""
    day_filters = Filters(date_from=day, date_to=day, store_id=filters.store_id, staff_id=filters.staff_id,
                          template_id=filters.template_id, card_template_id=filters.card_template_id)
    rows = session.execute(
        select(Store.name, func.count(Verification.id), func.coalesce(func.sum(Verification.amount_received), 0))
        .join(Store, Store.id == Verification.store_id)
        .where(*_where(viewer, day_filters, tz_name), Verification.undone_at.is_(None))
        .group_by(Store.id, Store.name).order_by(Store.id)).all()
    return [(name, int(n), int(amount)) for name, n, amount in rows]


def stores_for(session, viewer):
    query = select(Store).where(Store.merchant_id == viewer.merchant_id).order_by(Store.id)
    own = visible_store_ids(viewer)
    if own is not None:
        query = query.where(Store.id.in_(own))
    return session.scalars(query).all()


def staff_for(session, viewer):
    return session.scalars(select(Staff).where(Staff.merchant_id == viewer.merchant_id).order_by(Staff.id)).all()


def _cell(text):
    """Text as a spreadsheet cell: a leading = + - @ would be run as a formula, so it is quoted."""
    return "'" + text if text and text[0] in "=+-@" else text


def row_of(record, tz_name):
    return tuple(_cell(v) for v in _raw_row(record, tz_name))


def actor_name(record):
    """Who verified: the staff member, or the till's API key."""
    if record.staff is not None:
        return record.staff.name
    return f"接口：{record.api_key.name}" if record.api_key is not None else ""


def instrument_code(record):
    instrument = record.coupon_code or record.card
    return instrument.code if instrument is not None else ""


def _raw_row(record, tz_name):
    return (to_local(record.created_at, tz_name).strftime("%Y-%m-%d %H:%M:%S"), record.store.name if record.store else "",
            actor_name(record), INSTRUMENT_LABELS.get(record.instrument_type, record.instrument_type),
            record.instrument_name, instrument_code(record), METHOD_LABELS.get(record.method, record.method),
            str(record.quantity) if record.quantity else "",
            format_yuan(record.amount_taken) if record.amount_taken else "",
            format_yuan(record.amount_received), "已撤销" if record.undone_at else "已核销")


def _lines(session, viewer, filters, tz_name):
    yield HEADER
    for record in session.scalars(records(viewer, filters, tz_name)):
        yield row_of(record, tz_name)


def export_csv(session, viewer, filters, tz_name):
    return spreadsheets.csv_bytes(_lines(session, viewer, filters, tz_name))


def export_xlsx(session, viewer, filters, tz_name):
    return spreadsheets.xlsx_bytes("核销记录", _lines(session, viewer, filters, tz_name))
