"""The stored value report (储值报表) from the `wallet` and `wallet_balance` rollups (services/reports/family_wallet.py):
top-ups online and at each store's counter by way of paying (门店充值统计), bonus given, spending from balance,
refunds, gift cards, and the balance outstanding at each day's end; a summary, one line per day and one per store,
and the spreadsheet of the days. Money in fen."""
from dataclasses import dataclass, field
from datetime import timedelta

from domain.clock import local_today
from domain.money import format_yuan
from services.reports import figures
from services.reports.family_wallet import BALANCE_FAMILY, FAMILY, balance_change

# How a top-up was paid, online or at the counter (services/wallet/counter_topup.py), in the order shown.
TOPUP_WAYS = ("online:wechat", "online:alipay", "counter:cash", "counter:bankcard", "counter:wechat",
              "counter:alipay")
TOPUP_WAY_LABELS = {"online:wechat": "线上微信支付", "online:alipay": "线上支付宝", "counter:cash": "门店现金",
                    "counter:bankcard": "门店银行卡", "counter:wechat": "门店微信付款码",
                    "counter:alipay": "门店支付宝付款码"}
BONUS_SOURCES = ("topup", "instalment", "points")
BONUS_LABELS = {"topup": "充值赠送", "instalment": "分期赠送", "points": "积分转储值"}


@dataclass
class Balance:
    principal: int = 0
    bonus: int = 0
    gift_card: int = 0

    @property
    def member(self):
        return self.principal + self.bonus

    @property
    def total(self):
        return self.member + self.gift_card


@dataclass
class WalletLine:
    label: str
    ways: dict = field(default_factory=dict)  # way -> (count, principal)
    bonuses: dict = field(default_factory=dict)  # source -> fen
    spends: int = 0
    spent: int = 0
    spent_bonus: int = 0  # the bonus part of what was spent
    spend_refunded: int = 0
    topup_refunds: int = 0
    topup_refunded: int = 0  # principal paid back
    bonus_taken_back: int = 0
    other_in: int = 0  # a failed refund's money put back, other credits
    other_out: int = 0  # a returned card's settlement
    gift_in: int = 0
    gift_spent: int = 0
    gift_back: int = 0
    member_change: int = 0
    gift_change: int = 0
    balance: Balance | None = None  # at the end of the day (closed days), or of the period

    @property
    def topups(self):
        return sum(count for count, _ in self.ways.values())

    @property
    def topped_up(self):
        return sum(amount for _, amount in self.ways.values())

    @property
    def online(self):
        return sum(amount for way, (_, amount) in self.ways.items() if way.startswith("online:"))

    @property
    def counter(self):
        return self.topped_up - self.online

    @property
    def bonus(self):
        return sum(self.bonuses.values())

    @property
    def net_spent(self):
        return self.spent - self.spend_refunded

    @property
    def active(self):
        """Anything moved (the day table lists these days only)."""
        return bool(self.topups or self.bonus or self.spends or self.spend_refunded or self.topup_refunds
                    or self.other_in or self.other_out or self.gift_in or self.gift_spent or self.gift_back)


def line_of(label, keys, balance=None):
    get = keys.get
    line = WalletLine(label, balance=balance)
    line.ways = {way: _pair(get(f"topup:{way}")) for way in TOPUP_WAYS}
    for key, figure in keys.items():  # a way of paying not listed above still counts
        if key.startswith("topup:") and key[6:] not in line.ways:
            line.ways[key[6:]] = (figure.count, figure.amount)
    line.bonuses = {source: _amount(get(f"bonus:{source}")) for source in BONUS_SOURCES}
    line.spends, line.spent = _pair(get("spend"))
    line.spent_bonus = _amount(get("spend:bonus"))
    line.spend_refunded = _amount(get("spend_refund"))
    line.topup_refunds, line.topup_refunded = _pair(get("topup_refund"))
    line.bonus_taken_back = _amount(get("topup_refund:bonus"))
    line.other_in = _amount(get("credit:other")) + _amount(get("refund_failed"))
    line.other_out = _amount(get("withdraw"))
    line.gift_in = _amount(get("gift:in"))
    line.gift_spent = _amount(get("gift:spend")) - _amount(get("gift:spend_refund"))
    line.gift_back = _amount(get("gift:out"))
    line.member_change, line.gift_change = balance_change(keys)
    return line


def balance_of(keys):
    return Balance(_amount(keys.get("principal")), _amount(keys.get("bonus")), _amount(keys.get("gift_card")))


@dataclass
class Report:
    total: WalletLine
    days: list
    stores: list
    closing_day: object  # the period's last closed day (yesterday for a period of today only)
    closing: Balance  # what members and gift cards held at its end
    held_now: int | None  # members' and gift cards' balance now when the period ends today, else None


def report(session, merchant, period, store_names, now=None):
    """The period's movements per day and store, with the balance at each closed day's end (a snapshot family:
    today has none; when the period ends today, the balance now is yesterday's end plus today's movements)."""
    read = dict(session=session, merchant=merchant, store_id=period.store_id, now=now)
    movements = figures.read(family_name=FAMILY, first=period.first, last=period.last, **read)
    by_store = figures.read(family_name=FAMILY, first=period.first, last=period.last, group="store", **read)
    today = local_today(merchant.timezone, now)
    closing_day = min(period.last, today - timedelta(days=1))
    balances = figures.read(family_name=BALANCE_FAMILY, first=min(period.first, closing_day), last=closing_day,
                            **read)
    store_balances = figures.read(family_name=BALANCE_FAMILY, first=closing_day, last=closing_day, group="store",
                                  **read)
    days = [line_of(day.isoformat(), movements.get(day, {}),
                    balance_of(balances.get(day, {})) if day <= closing_day else None) for day in period.days]
    closing = balance_of(balances.get(closing_day, {}))
    stores = [line_of(store_names.get(store_id, f"门店 {store_id}"), by_store.get(store_id, {}),
                      balance_of(store_balances.get(store_id, {})))
              for store_id in set(by_store) | set(store_balances)]
    stores.sort(key=lambda line: (-(line.topped_up + line.spent), line.label))
    stores = [line for line in stores if line.topped_up or line.spent or line.balance.total or line.member_change]
    total = line_of("合计", figures.totals(movements), closing)
    held_now = None
    if period.last == today:
        member, gift = balance_change(movements.get(today, {}))
        held_now = closing.total + member + gift
    return Report(total, days, stores, closing_day, closing, held_now)


def chart(days):
    """Top-ups and spending per day, for the page's bar chart."""
    return {"type": "bar", "money": True, "x": [line.label[5:] for line in days],
            "series": [{"name": "充值", "values": [line.topped_up for line in days]},
                       {"name": "赠送", "values": [line.bonus for line in days]},
                       {"name": "消费", "values": [line.net_spent for line in days]}]}


def balance_chart(days):
    """The members' and gift cards' balance at each closed day's end, for the line chart."""
    closed = [line for line in days if line.balance is not None]
    return {"type": "line", "money": True, "x": [line.label[5:] for line in closed],
            "series": [{"name": "会员余额", "values": [line.balance.member for line in closed]},
                       {"name": "礼品卡余额", "values": [line.balance.gift_card for line in closed]}]}


def reconciliation(line):
    """[(label, signed fen)] of what moved the members' balance, then the gift cards': each part sums to its change
    (family_wallet.balance_change), so the page shows how the balance got from one day's end to another's."""
    members = [("充值本金", line.topped_up), *((f"赠送：{BONUS_LABELS[s]}", line.bonuses[s]) for s in BONUS_SOURCES),
               ("储值消费", -line.spent), ("消费退回", line.spend_refunded), ("充值退款", -line.topup_refunded),
               ("退款收回赠送", -line.bonus_taken_back), ("其他转入（退款失败退回、补录等）", line.other_in),
               ("退卡结算", -line.other_out)]
    gifts = [("礼品卡发放（面值）", line.gift_in), ("礼品卡消费（扣除撤销）", -line.gift_spent), ("礼品卡退还", -line.gift_back)]
    return members, gifts


def way_totals(total):
    """[(label, count, principal)] of the ways of paying used in the period."""
    return [(TOPUP_WAY_LABELS.get(way, way), count, amount) for way, (count, amount) in total.ways.items() if count]


HEADER = ("日期", "充值笔数", "充值金额", "线上充值", "门店充值", *(TOPUP_WAY_LABELS[w] for w in TOPUP_WAYS), "赠送",
          *(BONUS_LABELS[s] for s in BONUS_SOURCES), "消费笔数", "消费金额", "其中赠送部分", "消费退回", "充值退款笔数",
          "充值退款金额", "退款收回赠送", "其他转入", "退卡结算", "礼品卡发放", "礼品卡消费", "会员余额变动", "礼品卡余额变动",
          "日终会员本金", "日终会员赠送", "日终礼品卡")


def table(lines, money=format_yuan):
    """Header and one row per line (days, then the total with the period's closing balance), for CSV or XLSX."""
    yield HEADER
    for line in lines:
        balance = line.balance
        yield (line.label, line.topups, money(line.topped_up), money(line.online), money(line.counter),
               *(money(line.ways.get(way, (0, 0))[1]) for way in TOPUP_WAYS), money(line.bonus),
               *(money(line.bonuses[source]) for source in BONUS_SOURCES), line.spends, money(line.spent),
               money(line.spent_bonus), money(line.spend_refunded), line.topup_refunds, money(line.topup_refunded),
               money(line.bonus_taken_back), money(line.other_in), money(line.other_out), money(line.gift_in),
               money(line.gift_spent), money(line.member_change), money(line.gift_change),
               *((money(balance.principal), money(balance.bonus), money(balance.gift_card)) if balance else
                 ("", "", "")))


def _pair(figure):
    return (figure.count, figure.amount) if figure is not None else (0, 0)


def _amount(figure):
    return figure.amount if figure is not None else 0
