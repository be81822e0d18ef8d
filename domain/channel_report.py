"""渠道分析 without a database: the period a channel report covers, the figures it shows and sorts by, and the rows
that are not a source of their own (店员帮办: a staff member signed the customer up without a code; 自然流量: nobody
brought them)."""
from dataclasses import dataclass, fields
from datetime import date, timedelta

from domain.recruitment import SOURCE_KIND_LABELS, SOURCE_KINDS

DEFAULT_DAYS = 30  # a report opens on the last 30 days, today included
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)  # before this there is no data; a typed year 0001 must not reach the database
LATEST = date(2100, 12, 31)
MONEY_DAYS = 30  # 首30天实付: what a member paid in the first 30 days after joining

ASSISTED, NATURAL = "assisted", "natural"
ROW_KINDS = (*SOURCE_KINDS, ASSISTED, NATURAL)
ROW_KIND_LABELS = {**SOURCE_KIND_LABELS, ASSISTED: "店员帮办", NATURAL: "自然流量"}

# the attribution events a row counts besides its joins, and the figure (count, money) each one fills
EVENT_FIGURES = {"coupon_claim": ("coupon_claims", "coupon_money"), "card_purchase": ("card_count", "card_money"),
                 "topup": ("topup_count", "topup_money"), "paid_membership": ("membership_count", "membership_money")}


@dataclass
class Figures:
    """What one channel (or staff member, or kind of channel) brought in the period. Money in fen."""

    joins: int = 0
    first_payments: int = 0
    money: int = 0
    coupon_claims: int = 0
    coupon_money: int = 0  # coupons bought (a free claim is 0)
    card_count: int = 0
    card_money: int = 0
    topup_count: int = 0
    topup_money: int = 0
    membership_count: int = 0
    membership_money: int = 0

    def add(self, other):
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    def is_empty(self):
        return not any(getattr(self, field.name) for field in fields(self))


SORT_KEYS = tuple(field.name for field in fields(Figures))
MONEY_KEYS = ("money", "coupon_money", "card_money", "topup_money", "membership_money")
DEFAULT_SORT = "joins"


@dataclass(frozen=True)
class Period:
    """Local dates, both included."""

    first: date
    last: date

    @property
    def days(self):
        return (self.last - self.first).days + 1


def default_period(today):
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def period_of(first, last, today):
    """The period the merchant asked for, or the default one, and a sentence saying why it was not taken (None
    when it was). `first`/`last` are dates or None (a blank or unreadable field)."""
    fallback = default_period(today)
    if first is None and last is None:
        return fallback, None
    span = timedelta(days=DEFAULT_DAYS - 1)
    if first is None:
        first = last - span if last >= EARLIEST + span else last
    if last is None:
        last = max(first, min(today, first + span)) if first <= LATEST - span else first
    if not (EARLIEST <= first <= LATEST and EARLIEST <= last <= LATEST):
        return fallback, "日期超出范围，已显示最近 30 天"
    if last < first:
        return fallback, "结束日期早于开始日期，已显示最近 30 天"
    if (last - first).days + 1 > MAX_DAYS:
        return fallback, f"一次最多查询 {MAX_DAYS} 天，已显示最近 30 天"
    return Period(first, last), None


def sort_of(key, direction):
    """A known figure and 'asc'/'desc'; anything else is the default (joins, most first)."""
    key = key if key in SORT_KEYS else DEFAULT_SORT
    return key, "asc" if direction == "asc" else "desc"
