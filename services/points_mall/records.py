"""The back office's view of gift exchanges: the filtered list (paged), cancelling one for the member with the
points back (audited), and the CSV export, streamed row by row so a large export is never held in memory."""
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select

from domain import points_mall as rules
from domain.clock import local_midnight_utc, to_local
from domain.errors import DomainError
from models import GiftExchange, Member, Store
from services.merchant import audit
from services.points_mall import exchanges
from services.shared.tenancy import get_owned

EXPORT_CHUNK = 1000
HEADER = ["兑换编号", "礼品", "会员", "手机号", "消耗积分", "状态", "兑换时间", "领取门店", "领取时间", "提货码"]


@dataclass
class ExchangeFilter:
    state: Optional[str] = None
    gift_id: Optional[int] = None
    mobile: Optional[str] = None
    day_from: Optional[date] = None
    day_until: Optional[date] = None

    def checked(self):
        if self.state and self.state not in rules.STATES:
            raise DomainError("未知的状态")
        if self.mobile and (len(self.mobile) > 20 or "\x00" in self.mobile):
            raise DomainError("手机号格式不正确")
        return self


def query(merchant_id, wanted, tz_name):
    """The merchant's exchanges matching `wanted`, newest first."""
    wanted.checked()
    statement = select(GiftExchange).where(GiftExchange.merchant_id == merchant_id)
    if wanted.state:
        statement = statement.where(GiftExchange.state == wanted.state)
    if wanted.gift_id:
        statement = statement.where(GiftExchange.gift_id == wanted.gift_id)
    if wanted.mobile:
        statement = statement.join(Member, Member.id == GiftExchange.member_id).where(
            Member.merchant_id == merchant_id, Member.mobile == wanted.mobile.strip())
    if wanted.day_from:
        statement = statement.where(GiftExchange.created_at >= local_midnight_utc(wanted.day_from, tz_name))
    if wanted.day_until:
        statement = statement.where(GiftExchange.created_at < local_midnight_utc(wanted.day_until + timedelta(days=1),
                                                                                 tz_name))
    return statement.order_by(GiftExchange.id.desc())


def cancel_for_member(session, staff, merchant, exchange_id, ip=None):
    """Back office or staff cancel an unclaimed exchange; the points go back to the member. Audited."""
    row = get_owned(session, GiftExchange, staff.merchant_id, exchange_id)
    row = exchanges.cancel(session, merchant, row.id, staff=staff)
    audit.record(session, staff, "gift_exchange.cancel", "gift_exchange", row.id,
                 after={"points_returned": row.points, "gift": row.gift_name}, ip=ip)
    return row


def export_csv(session, merchant_id, wanted, tz_name):
    """The CSV (with a byte-order mark for Excel) as chunks of bytes, reading the rows a chunk at a time."""
    statement = query(merchant_id, wanted, tz_name).execution_options(yield_per=EXPORT_CHUNK)
    stores = dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)).all())
    yield ("\ufeff" + _line(HEADER)).encode("utf-8")
    buffer = []
    for row in session.scalars(statement):
        member = row.member
        buffer.append(_line([row.id, row.gift_name, member.name or "", member.mobile or "", row.points,
                             rules.state_label(row.state), _when(row.created_at, tz_name),
                             stores.get(row.store_id, ""), _when(row.handed_over_at, tz_name),
                             row.pickup_code if row.state == rules.PENDING else ""]))
        if len(buffer) >= EXPORT_CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _when(moment, tz_name):
    return to_local(moment, tz_name).strftime("%Y-%m-%d %H:%M") if moment else ""


def _line(values):
    out = io.StringIO()
    csv.writer(out).writerow([_safe(value) for value in values])
    return out.getvalue()


def _safe(value):
    """A cell Excel would read as a formula (=, +, -, @) is kept as text."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text.lstrip("-").isdigit() else text
