"""The sales report (销售报表) from the sales family's rollups: a summary of the period, one line per day and one
per store, and the spreadsheet of either. Money in fen."""
from dataclasses import dataclass, field

from domain.money import format_yuan
from models.checkout import TENDER_LABELS, TENDERS
from services.reports import figures
from services.reports.family_sales import DISCOUNT_KINDS, FAMILY

DISCOUNT_LABELS = {"level": "会员折扣", "benefit": "权益卡折扣", "balance": "储值折上折", "points": "积分抵扣",
                   "coupon": "优惠券", "random": "随机立减"}


@dataclass
class SalesLine:
    label: str
    payments: int = 0
    paid: int = 0  # money paid (balance included), fen
    gross: int = 0  # before discounts
    discount: int = 0
    member_payments: int = 0
    member_paid: int = 0
    refunds: int = 0
    refunded: int = 0
    tenders: dict = field(default_factory=dict)  # tender -> fen
    discounts: dict = field(default_factory=dict)  # kind -> fen

    @property
    def net(self):
        return self.paid - self.refunded

    @property
    def member_share(self):
        """Members' part of the money paid, in whole percent (None with nothing paid)."""
        return None if not self.paid else round(self.member_paid * 100 / self.paid)

    @property
    def average(self):
        return self.paid // self.payments if self.payments else 0


def line_of(label, keys):
    line = SalesLine(label)
    get = keys.get
    line.payments, line.paid = _pair(get("payments"))
    line.gross = _pair(get("gross"))[1]
    line.discount = _pair(get("discount"))[1]
    line.member_payments, line.member_paid = _pair(get("member"))
    line.refunds, line.refunded = _pair(get("refunds"))
    line.tenders = {t: _pair(get(f"tender:{t}"))[1] for t in TENDERS}
    line.discounts = {k: _pair(get(f"discount:{k}"))[1] for k in DISCOUNT_KINDS}
    return line


def report(session, merchant, period, store_names):
    """(total line, [line per day], [line per store with sales]) over the period."""
    by_day = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id)
    by_store = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id,
                            group="store")
    days = [line_of(day.isoformat(), by_day.get(day, {})) for day in period.days]
    stores = sorted((line_of(store_names.get(store_id, f"门店 {store_id}"), keys) for store_id, keys in by_store.items()),
                    key=lambda line: -line.paid)
    return line_of("合计", figures.totals(by_day)), days, stores


def chart(days):
    """Money paid and refunded per day, for the page's line chart."""
    return {"type": "line", "money": True, "x": [line.label[5:] for line in days],
            "series": [{"name": "实收", "values": [line.paid for line in days]},
                       {"name": "退款", "values": [line.refunded for line in days]}]}


def tender_chart(total):
    used = [t for t in TENDERS if total.tenders.get(t)]
    return {"type": "pie", "money": True, "x": [TENDER_LABELS[t] for t in used],
            "series": [{"name": "支付方式", "values": [total.tenders[t] for t in used]}]}


def table(lines, money=format_yuan):
    """Header and one row per line (the per-day or per-store table), for CSV or XLSX."""
    header = (["日期/门店", "笔数", "实收", "原价", "优惠", "会员笔数", "会员实收", "会员占比%", "退款笔数", "退款金额", "净收"]
              + [TENDER_LABELS[t] for t in TENDERS] + [DISCOUNT_LABELS[k] for k in DISCOUNT_KINDS])
    yield header
    for line in lines:
        yield ([line.label, line.payments, money(line.paid), money(line.gross), money(line.discount),
                line.member_payments, money(line.member_paid),
                "" if line.member_share is None else line.member_share, line.refunds, money(line.refunded),
                money(line.net)]
               + [money(line.tenders[t]) for t in TENDERS] + [money(line.discounts[k]) for k in DISCOUNT_KINDS])


def _pair(figure):
    return (figure.count, figure.amount) if figure is not None else (0, 0)
