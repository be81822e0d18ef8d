"""The members report (会员报表) from the `members` and `member_totals` rollups (services/reports/family_members.py):
new members per day by channel, WeChat fans followed, unfollowed and turned into members, and at each closed day's
end the members on the books, active in 30 days, dormant and per level; a summary, one line per day, and the
spreadsheet of the days.

The snapshot exists for closed days only. When the period ends today, the summary's members on the books is
yesterday's end plus today's new members; active, dormant and the levels are as of yesterday's end (the page says
so). Fans belong to no store: with a store chosen they are not shown.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from domain.clock import local_today
from domain.recruitment import SHARE_CHANNEL_LABELS, SHARE_CHANNELS, SOURCE_KIND_LABELS
from models import Level
from services.reports import figures
from services.reports.family_members import ASSISTED, NATURAL, NEW_MEMBERS, OTHER, TOTALS

# Every channel a new member can come through (family_members' new:<channel> keys), in the order shown.
CHANNELS = ("natural", "store", "staff", "assisted", *(f"share:{c}" for c in SHARE_CHANNELS), "member", "campaign",
            "send", "other")
CHANNEL_LABELS = {
    **{kind: SOURCE_KIND_LABELS[kind] for kind in ("store", "staff", "member", "campaign", "send")},
    **{f"share:{c}": f"推广渠道·{SHARE_CHANNEL_LABELS[c]}" for c in SHARE_CHANNELS},
    "share": "推广渠道",
    ASSISTED: "店员帮办",
    NATURAL: "自然流量（自助领卡）",
    OTHER: "后台录入及其他",
}
NO_LEVEL = 0


def channel_label(channel):
    return CHANNEL_LABELS.get(channel, channel)


@dataclass
class Totals:
    """Members on the books at a day's end: all, active (paid at the till in 30 days), dormant, per level id."""
    total: int = 0
    active: int = 0
    dormant: int = 0
    levels: dict = field(default_factory=dict)

    @property
    def active_percent(self):
        return round(self.active * 100 / self.total, 1) if self.total else None


@dataclass
class MembersLine:
    label: str
    channels: dict = field(default_factory=dict)  # channel -> new members
    followed: int = 0
    unfollowed: int = 0
    converted: int = 0  # fans who became members
    totals: Totals | None = None  # at the day's end (closed days)

    @property
    def new(self):
        return sum(self.channels.values())

    @property
    def shown(self):
        """Anything to show (the page's day table lists these days; the export lists every day)."""
        return bool(self.new or self.followed or self.unfollowed or self.converted
                    or (self.totals is None or self.totals.total))

    @property
    def conversion_percent(self):
        """Fans who became members for every hundred new follows, one decimal; None with no follows."""
        return round(self.converted * 100 / self.followed, 1) if self.followed else None


def line_of(label, keys, totals=None):
    line = MembersLine(label, totals=totals)
    for key, figure in keys.items():
        if key.startswith("new:") and figure.count:
            line.channels[key[4:]] = line.channels.get(key[4:], 0) + figure.count
    line.followed = _count(keys.get("fans:followed"))
    line.unfollowed = _count(keys.get("fans:unfollowed"))
    line.converted = _count(keys.get("fans:became_member"))
    return line


def totals_of(keys):
    levels = {int(key[6:]): figure.count for key, figure in keys.items()
              if key.startswith("level:") and key[6:].isdigit() and figure.count}
    return Totals(_count(keys.get("total")), _count(keys.get("active")), _count(keys.get("dormant")), levels)


@dataclass
class Report:
    total: MembersLine  # the period's sums, with the closing snapshot
    days: list
    closing_day: object  # the period's last closed day (yesterday for a period of today only)
    closing: Totals
    members_now: int | None  # on the books now when the period ends today, else None
    levels: list  # [(name, members, percent)] at the closing day's end
    channels: list  # [(channel, label, new members)] over the period, most first
    fans_shown: bool  # fans are merchant-wide: not shown for one store


def report(session, merchant, period, now=None):
    read = dict(session=session, merchant=merchant, store_id=period.store_id, now=now)
    moves = figures.read(family_name=NEW_MEMBERS, first=period.first, last=period.last, **read)
    today = local_today(merchant.timezone, now)
    closing_day = min(period.last, today - timedelta(days=1))
    snapshots = figures.read(family_name=TOTALS, first=min(period.first, closing_day), last=closing_day, **read)
    days = [line_of(day.isoformat(), moves.get(day, {}), totals_of(snapshots[day]) if day in snapshots else
                    (Totals() if day <= closing_day else None)) for day in period.days]
    closing = totals_of(snapshots.get(closing_day, {}))
    total = line_of("合计", figures.totals(moves), closing)
    members_now = None
    if period.last == today:
        members_now = closing.total + line_of("", moves.get(today, {})).new
    names = level_names(session, merchant.id)
    levels = [(names.get(level_id, f"已删除的等级 #{level_id}") if level_id != NO_LEVEL else "无等级", count,
               _percent(count, closing.total))
              for level_id, count in sorted(closing.levels.items(), key=lambda item: _level_order(item[0], names))]
    channels = sorted(((channel, channel_label(channel), count) for channel, count in total.channels.items()),
                      key=lambda item: (-item[2], _channel_order(item[0])))
    return Report(total, days, closing_day, closing, members_now, levels, channels, period.store_id is None)


def level_names(session, merchant_id):
    """{level id: name} in rank order."""
    return dict(session.execute(select(Level.id, Level.name).where(Level.merchant_id == merchant_id)
                                .order_by(Level.rank)).all())


def new_chart(days, fans_shown):
    """New members per day (and the fans' follows and conversions), for the page's line chart."""
    series = [{"name": "新增会员", "values": [line.new for line in days]}]
    if fans_shown:
        series += [{"name": "新增关注", "values": [line.followed for line in days]},
                   {"name": "粉丝转会员", "values": [line.converted for line in days]}]
    return {"type": "line", "x": [line.label[5:] for line in days], "series": series}


def channel_chart(channels):
    return {"type": "pie", "x": [label for _, label, _ in channels],
            "series": [{"name": "入会渠道", "values": [count for _, _, count in channels]}]}


def totals_chart(days):
    """Members on the books and active at each closed day's end, for the trend line."""
    closed = [line for line in days if line.totals is not None]
    return {"type": "line", "x": [line.label[5:] for line in closed],
            "series": [{"name": "会员总数", "values": [line.totals.total for line in closed]},
                       {"name": "活跃会员", "values": [line.totals.active for line in closed]}]}


def table(rep):
    """Header and one row per day, then the period's total (with the closing day's end), for CSV or XLSX: the
    channels the period used get a column each, the fans none for one store; the end-of-day figures are blank for
    today (not closed yet)."""
    channels = [channel for channel, _, _ in rep.channels]
    fans = ("新增关注", "取消关注", "粉丝转会员", "转化率%") if rep.fans_shown else ()
    yield ("日期", "新增会员", *(channel_label(c) for c in channels), *fans, "日终会员总数", "活跃会员", "沉睡会员")
    for line in [*rep.days, rep.total]:
        totals = line.totals
        fans = (line.followed, line.unfollowed, line.converted,
                "" if line.conversion_percent is None else line.conversion_percent) if rep.fans_shown else ()
        yield (line.label, line.new, *(line.channels.get(c, 0) for c in channels), *fans,
               *((totals.total, totals.active, totals.dormant) if totals is not None else ("", "", "")))


def _count(figure):
    return figure.count if figure is not None else 0


def _percent(part, whole):
    return round(part * 100 / whole, 1) if whole else 0.0


def _level_order(level_id, names):
    order = list(names)
    return order.index(level_id) if level_id in names else len(order) + (level_id == NO_LEVEL)


def _channel_order(channel):
    return CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS)
