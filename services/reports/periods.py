"""The period a report covers: a date range in the merchant's timezone (the last 30 days unless asked otherwise,
at most 366 days, never past today) and an optional store of the merchant."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from domain.clock import local_today
from domain.errors import DomainError, NotFound
from models import Store

MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    store_id: int | None = None

    @property
    def days(self):
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def query_args(self):
        args = {"start": self.first.isoformat(), "end": self.last.isoformat()}
        if self.store_id is not None:
            args["store"] = self.store_id
        return args


def parse(session, merchant, start_text, end_text, store_text, now=None):
    """A Period from the query string's texts (each may be empty); a clear DomainError for what cannot be read,
    NotFound for a store that is not this merchant's."""
    today = local_today(merchant.timezone, now)
    last = _date(end_text, "结束日期") or today
    first = _date(start_text, "开始日期") or last - timedelta(days=DEFAULT_DAYS - 1)
    if last > today:
        last = today
    if first > last:
        raise DomainError("开始日期不能晚于结束日期")
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(f"查询范围最长 {MAX_DAYS} 天，请缩短日期范围")
    return Period(first, last, _store(session, merchant.id, store_text))


def store_names(session, merchant_id):
    """{store id: name} of the merchant's stores, 0 meaning online / no store."""
    names = dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)
                                 .order_by(Store.id)).all())
    return {**names, 0: "线上/未指定门店"}


def _date(text, label):
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 10:
        raise DomainError(f"{label}格式不正确，请用 YYYY-MM-DD")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"{label}格式不正确，请用 YYYY-MM-DD") from None
    if value.year < 2000:
        raise DomainError(f"{label}不能早于 2000 年")
    return value


def _store(session, merchant_id, text):
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise NotFound("门店不存在")
    store_id = session.scalar(select(Store.id).where(Store.merchant_id == merchant_id, Store.id == int(text)))
    if store_id is None:
        raise NotFound("门店不存在")
    return store_id
