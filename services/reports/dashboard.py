"""The back office's first page (概览): today's figures beside yesterday's, and the last 30 days' trends, all read
from the report families' rollups (services/reports/figures.py), so it opens as fast over ten million payments as
over ten. A family another part of the product has not registered is left out."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from domain.clock import local_today
from models import Member, Wallet
from services.reports import figures
from services.reports.families import FAMILIES

TREND_DAYS = 30


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    today: int
    yesterday: int
    money: bool = False


# (tile key, label, family, keys or key prefixes, money?, count or amount): what today's tiles add up from the rollups
TILES = (
    ("paid", "今日实收", "sales", "payments", True, "amount"),
    ("payments", "收款笔数", "sales", "payments", False, "count"),
    ("new_members", "新增会员", "members", "new:", False, "count"),
    ("topups", "储值充值", "wallet", "topup:", True, "amount"),
    ("points_issued", "发放积分", "points", ("kind:earn:in", "kind:referral:in"), False, "amount"),
    ("coupons_used", "核销优惠券", "coupons", "used:", False, "count"),
)


@dataclass(frozen=True)
class Holdings:
    members: int
    points: int
    principal: int
    bonus: int


def holdings(session, merchant_id):
    """What the merchant's members hold now: how many they are, unused points, stored value (principal, bonus)."""
    members, points = session.execute(
        select(func.count(Member.id), func.coalesce(func.sum(Member.points_balance), 0))
        .where(Member.merchant_id == merchant_id)).one()
    principal, bonus = session.execute(
        select(func.coalesce(func.sum(Wallet.principal), 0), func.coalesce(func.sum(Wallet.bonus), 0))
        .where(Wallet.merchant_id == merchant_id)).one()
    return Holdings(members, points, principal, bonus)


def tiles(session, merchant, now=None):
    """[Tile] for today and yesterday."""
    today = local_today(merchant.timezone, now)
    yesterday = today - timedelta(days=1)
    by_family = {name: figures.read(session, merchant, name, yesterday, today, now=now)
                 for name in {tile[2] for tile in TILES} if name in FAMILIES}
    shown = []
    for key, label, family, prefix, money, part in TILES:
        if family not in by_family:
            continue
        table = by_family[family]
        shown.append(Tile(key, label, _sum(table.get(today, {}), prefix, part),
                          _sum(table.get(yesterday, {}), prefix, part), money))
    return shown


def trends(session, merchant, now=None):
    """Chart data (static/js/report_chart.js) of the last 30 days: money paid per day, and new members per day."""
    today = local_today(merchant.timezone, now)
    first = today - timedelta(days=TREND_DAYS - 1)
    days = [first + timedelta(days=n) for n in range(TREND_DAYS)]
    labels = [day.isoformat()[5:] for day in days]
    charts = {}
    sales = figures.read(session, merchant, "sales", first, today, now=now)
    charts["sales"] = {"type": "line", "money": True, "x": labels,
                       "series": [{"name": "实收", "values": [_sum(sales.get(d, {}), "payments", "amount")
                                                            for d in days]},
                                  {"name": "退款", "values": [_sum(sales.get(d, {}), "refunds", "amount")
                                                            for d in days]}]}
    if "members" in FAMILIES:
        joined = figures.read(session, merchant, "members", first, today, now=now)
        charts["members"] = {"type": "bar", "money": False, "x": labels,
                             "series": [{"name": "新增会员", "values": [_sum(joined.get(d, {}), "new:", "count")
                                                                    for d in days]}]}
    return charts


def _sum(keys, prefixes, part):
    """The count or amount of every key equal to one of `prefixes` (a text or a tuple), or starting with one that
    ends with a colon."""
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    matching = (figure for key, figure in keys.items()
                if any(key == p or (p.endswith(":") and key.startswith(p)) for p in prefixes))
    return sum(getattr(figure, part) for figure in matching)
