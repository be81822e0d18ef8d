"""The cards report (卡券报表 · 卡) from the cards family's rollups (services/reports/family_cards.py): count, timed,
gift and benefit cards sold (money), given, activated (physical gift cards), used and refunded over a period: a
summary per kind, one line per template and one per day, and the spreadsheet of either. Money in fen."""
from dataclasses import dataclass

from sqlalchemy import select

from domain.cards import KIND_LABELS, KINDS
from domain.money import format_yuan
from models import CardTemplate
from services.reports import figures
from services.reports.family_cards import FAMILY

PREFIXES = ("sold", "given", "activated", "used", "undone", "refunded")


@dataclass
class CardLine:
    label: str
    kind: str = ""
    sold: int = 0
    sold_amount: int = 0  # what members paid for the cards
    given: int = 0
    activated: int = 0  # physical gift cards whose value arrived
    activated_amount: int = 0
    used: int = 0  # uses taken (a count card's use may take several; a gift-card spend is one)
    used_amount: int = 0  # money spent from gift cards
    undone: int = 0
    undone_amount: int = 0
    refunded: int = 0
    refunded_amount: int = 0

    @property
    def active(self):
        return any(getattr(self, name) for name in PREFIXES)

    @property
    def net_uses(self):
        return self.used - self.undone

    @property
    def net_spent(self):
        return self.used_amount - self.undone_amount

    @property
    def income(self):
        """Money the cards brought in: sold, plus physical gift cards activated, less refunds."""
        return self.sold_amount + self.activated_amount - self.refunded_amount

    def add(self, other):
        for name in PREFIXES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
            amount = f"{name}_amount"
            if hasattr(self, amount):
                setattr(self, amount, getattr(self, amount) + getattr(other, amount))


@dataclass(frozen=True)
class CardReport:
    total: CardLine
    kinds: list  # a line per kind (次卡, 时长卡, 礼品卡, 权益卡), always all four
    days: list
    templates: list  # a line per template with any figure


def line_of(label, keys, template_id=None, kind=""):
    """The line of `keys` ({key: Figure}); with `template_id`, of that template's keys only."""
    line = CardLine(label, kind)
    for key, figure in keys.items():
        prefix, _, template = key.partition(":")
        if prefix not in PREFIXES or (template_id is not None and template != str(template_id)):
            continue
        setattr(line, prefix, getattr(line, prefix) + figure.count)
        amount = f"{prefix}_amount"
        if hasattr(line, amount):
            setattr(line, amount, getattr(line, amount) + figure.amount)
    return line


def report(session, merchant, period):
    by_day = figures.read(session, merchant, FAMILY, period.first, period.last, store_id=period.store_id)
    summed = figures.totals(by_day)
    days = [line_of(day.isoformat(), by_day.get(day, {})) for day in period.days]
    template_ids = sorted({int(key.partition(":")[2]) for key in summed})
    known = templates_of(session, merchant.id, template_ids)
    templates = []
    for template_id in template_ids:
        title, kind = known.get(template_id, (f"卡 #{template_id}", ""))
        templates.append(line_of(title, summed, template_id, kind))
    templates.sort(key=lambda line: (KINDS.index(line.kind) if line.kind in KINDS else len(KINDS), -line.income,
                                     -line.net_uses, line.label))
    kinds = []
    for kind in KINDS:
        line = CardLine(KIND_LABELS[kind], kind)
        for template_line in templates:
            if template_line.kind == kind:
                line.add(template_line)
        kinds.append(line)
    return CardReport(line_of("合计", summed), kinds, days, templates)


def templates_of(session, merchant_id, template_ids):
    """{template id: (title, kind)} of the merchant's card templates among `template_ids`."""
    if not template_ids:
        return {}
    rows = session.execute(select(CardTemplate.id, CardTemplate.title, CardTemplate.kind).where(
        CardTemplate.merchant_id == merchant_id, CardTemplate.id.in_(template_ids)))
    return {template_id: (title, kind) for template_id, title, kind in rows}


def chart(days):
    """Money from cards and refunds per day, for the page's line chart."""
    return {"type": "line", "money": True, "x": [line.label[5:] for line in days],
            "series": [{"name": "售卡收入", "values": [line.sold_amount + line.activated_amount for line in days]},
                       {"name": "退卡退款", "values": [line.refunded_amount for line in days]},
                       {"name": "礼品卡消费", "values": [line.net_spent for line in days]}]}


def kind_chart(report_):
    """Cards sold, cards given and uses taken per kind, for the page's bar chart."""
    return {"type": "bar", "money": False, "x": [line.label for line in report_.kinds],
            "series": [{"name": "售出", "values": [line.sold + line.activated for line in report_.kinds]},
                       {"name": "赠送", "values": [line.given for line in report_.kinds]},
                       {"name": "使用", "values": [line.net_uses for line in report_.kinds]}]}


HEADER = ["日期/卡", "类型", "售出", "售卡金额", "赠送", "实体卡激活", "激活面值", "使用次数", "撤销使用", "礼品卡消费",
          "退卡", "退款金额", "净收入"]


def table(lines, money=format_yuan):
    """Header and one row per line (the per-day, per-kind or per-template table), for CSV or XLSX."""
    yield HEADER
    for line in lines:
        yield [line.label, KIND_LABELS.get(line.kind, ""), line.sold, money(line.sold_amount), line.given, line.activated,
               money(line.activated_amount), line.used, line.undone, money(line.net_spent), line.refunded,
               money(line.refunded_amount), money(line.income)]
