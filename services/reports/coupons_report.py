"""The coupons report (卡券报表 · 优惠券) from the coupons family's rollups (services/reports/family_coupons.py): a
summary of the period, one line per template (with the channels its codes came through) and one per day, and the
spreadsheet of either. Counts of codes; money (what the sales with a coupon took) in fen."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from domain.coupons import CHANNEL_LABELS
from domain.money import format_yuan
from models import CouponTemplate
from services.reports import figures
from services.reports.family_coupons import CLAIMED_CHANNELS, FAMILY


@dataclass
class CouponLine:
    label: str
    issued: int = 0  # codes the merchant gave (staff, bulk, campaigns, rewards)
    claimed: int = 0  # codes members took themselves
    shared: int = 0  # codes friends received from members
    used: int = 0
    used_amount: int = 0
    undone: int = 0
    undone_amount: int = 0
    expired: int = 0
    channels: dict = field(default_factory=lambda: defaultdict(int))  # channel -> codes that came through it

    @property
    def active(self):
        return any((self.given_out, self.shared, self.used, self.undone, self.expired))

    @property
    def given_out(self):
        return self.issued + self.claimed

    @property
    def net_used(self):
        return self.used - self.undone

    @property
    def net_amount(self):
        return self.used_amount - self.undone_amount

    @property
    def use_rate(self):
        """Uses per code given out in the period, in whole percent (None with none given out). Codes used in the
        period may have come out before it, so this can pass 100."""
        return None if not self.given_out else round(self.net_used * 100 / self.given_out)


@dataclass(frozen=True)
class CouponReport:
    total: CouponLine
    days: list
    templates: list  # a line per template with any figure, most codes given out first
    channels: list  # (channel label, 领取 or 发放, codes), most first


def line_of(label, keys, template_id=None):
    """The line of `keys` ({key: Figure}); with `template_id`, of that template's keys only."""
    line = CouponLine(label)
    for key, figure in keys.items():
        parts = key.split(":")
        if template_id is not None and parts[1] != str(template_id):
            continue
        kind = parts[0]
        if kind in ("issued", "claimed"):
            setattr(line, kind, getattr(line, kind) + figure.count)
            line.channels[parts[2]] += figure.count
        elif kind in ("used", "undone"):
            setattr(line, kind, getattr(line, kind) + figure.count)
            setattr(line, f"{kind}_amount", getattr(line, f"{kind}_amount") + figure.amount)
        elif kind in ("shared", "expired"):
            setattr(line, kind, getattr(line, kind) + figure.count)
    return line


def report(session, merchant, period):
    by_day = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id)
    summed = figures.totals(by_day)
    days = [line_of(day.isoformat(), by_day.get(day, {})) for day in period.days]
    total = line_of("合计", summed)
    template_ids = sorted({int(key.split(":")[1]) for key in summed})
    names = template_names(session, merchant.id, template_ids)
    templates = sorted((line_of(names.get(tid, f"券 #{tid}"), summed, tid) for tid in template_ids),
                       key=lambda line: (-line.given_out, -line.net_used, line.label))
    channels = sorted(((CHANNEL_LABELS.get(channel, channel), "领取" if channel in CLAIMED_CHANNELS else "发放", n)
                       for channel, n in total.channels.items() if n), key=lambda row: (-row[2], row[0]))
    return CouponReport(total, days, templates, channels)


def template_names(session, merchant_id, template_ids):
    if not template_ids:
        return {}
    return dict(session.execute(select(CouponTemplate.id, CouponTemplate.title).where(
        CouponTemplate.merchant_id == merchant_id, CouponTemplate.id.in_(template_ids))).all())


def chart(days):
    """Codes given out, used (net of undos) and expired per day, for the page's line chart."""
    return {"type": "line", "money": False, "x": [line.label[5:] for line in days],
            "series": [{"name": "发放+领取", "values": [line.given_out for line in days]},
                       {"name": "核销", "values": [line.net_used for line in days]},
                       {"name": "过期", "values": [line.expired for line in days]}]}


def channel_chart(report_):
    return {"type": "pie", "money": False, "x": [label for label, _, _ in report_.channels],
            "series": [{"name": "渠道", "values": [n for _, _, n in report_.channels]}]}


HEADER = ["日期/券", "发放", "领取", "转赠", "核销", "撤销核销", "净核销", "带动消费", "过期", "核销率%"]


def table(lines, money=format_yuan):
    """Header and one row per line (the per-day or per-template table), for CSV or XLSX."""
    yield HEADER
    for line in lines:
        yield [line.label, line.issued, line.claimed, line.shared, line.used, line.undone, line.net_used,
               money(line.net_amount), line.expired, "" if line.use_rate is None else line.use_rate]
