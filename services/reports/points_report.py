"""The points report (积分报表) from the `points` rollups (services/reports/family_points.py): points issued, used,
expired, adjusted and reversed by kind, per day and per store, and the spreadsheet of the days."""
from dataclasses import dataclass, field

from models.points import POINTS_KIND_LABELS, POINTS_KINDS
from services.reports import figures
from services.reports.family_points import FAMILY

DIRECTIONS = ("in", "out")
# What each (kind, direction) is called on the page; a pair not listed is named from the kind.
ENTRY_LABELS = {("earn", "in"): "获得（消费、充值、活动等）", ("referral", "in"): "推荐分成", ("spend", "out"): "使用",
                ("expire", "out"): "过期", ("adjust", "in"): "手动调增", ("adjust", "out"): "手动调减",
                ("reverse", "in"): "退款退回", ("reverse", "out"): "退款收回"}
ISSUED = (("earn", "in"), ("referral", "in"))


def entry_label(kind, direction):
    default = f"{POINTS_KIND_LABELS.get(kind, kind)}（{'增加' if direction == 'in' else '减少'}）"
    return ENTRY_LABELS.get((kind, direction), default)


@dataclass
class PointsLine:
    label: str
    entries: dict = field(default_factory=dict)  # (kind, direction) -> (count, points)

    def points(self, kind, direction):
        return self.entries.get((kind, direction), (0, 0))[1]

    @property
    def issued(self):
        return sum(self.points(*entry) for entry in ISSUED)

    @property
    def used(self):
        return self.points("spend", "out")

    @property
    def expired(self):
        return self.points("expire", "out")

    @property
    def adjusted_in(self):
        return self.points("adjust", "in")

    @property
    def adjusted_out(self):
        return self.points("adjust", "out")

    @property
    def reversed_in(self):
        return self.points("reverse", "in")

    @property
    def reversed_out(self):
        return self.points("reverse", "out")

    @property
    def added(self):
        return sum(points for (_, direction), (_, points) in self.entries.items() if direction == "in")

    @property
    def taken(self):
        return sum(points for (_, direction), (_, points) in self.entries.items() if direction == "out")

    @property
    def net(self):
        return self.added - self.taken

    @property
    def changes(self):
        return sum(count for count, _ in self.entries.values())


def line_of(label, keys):
    line = PointsLine(label)
    for key, figure in keys.items():
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "kind" and parts[2] in DIRECTIONS and (figure.count or figure.amount):
            line.entries[(parts[1], parts[2])] = (figure.count, figure.amount)
    return line


def report(session, merchant, period, store_names, now=None):
    """(total line, [line per day], [line per store with changes]) over the period."""
    by_day = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id, now=now)
    by_store = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id,
                            group="store", now=now)
    days = [line_of(day.isoformat(), by_day.get(day, {})) for day in period.days]
    stores = sorted((line_of(store_names.get(store_id, f"门店 {store_id}"), keys) for store_id, keys in by_store.items()),
                    key=lambda line: (-line.changes, line.label))
    return line_of("合计", figures.totals(by_day)), days, [line for line in stores if line.changes]


def entries(total):
    """[(kind, direction, label, count, points)] of the period, in the ledger's kind order."""
    order = {kind: n for n, kind in enumerate(POINTS_KINDS)}
    keys = sorted(total.entries, key=lambda entry: (order.get(entry[0], len(order)), entry[0], entry[1]))
    return [(kind, direction, entry_label(kind, direction), *total.entries[(kind, direction)])
            for kind, direction in keys]


def chart(days):
    """Points issued, used, expired and adjusted per day, for the page's bar chart."""
    return {"type": "bar", "money": False, "x": [line.label[5:] for line in days],
            "series": [{"name": "发放", "values": [line.issued for line in days]},
                       {"name": "使用", "values": [line.used for line in days]},
                       {"name": "过期", "values": [line.expired for line in days]},
                       {"name": "调整（净）", "values": [line.adjusted_in - line.adjusted_out for line in days]}]}


HEADER = ("日期", "变动笔数", "发放", "其中推荐分成", "使用", "过期", "手动调增", "手动调减", "退款退回", "退款收回",
          "增加合计", "减少合计", "净变动")


def table(lines):
    """Header and one row per line (the days, then the total), for CSV or XLSX."""
    yield HEADER
    for line in lines:
        yield (line.label, line.changes, line.issued, line.points("referral", "in"), line.used, line.expired,
               line.adjusted_in, line.adjusted_out, line.reversed_in, line.reversed_out, line.added, line.taken,
               line.net)
