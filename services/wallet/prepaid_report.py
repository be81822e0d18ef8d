"""Prepaid balances for the merchant's books: what members and gift cards hold (principal and bonus apart) at the
end of any day, and a day's movements, per store and in total.

Everything is summed from the journal (wallet transactions), never from the wallets' current rows, so a report
for a past date shows that date. A movement is attributed to the store where it happened (`store_id` of the
transaction); online top-ups and movements with no store are shown as 线上/未指定门店. A top-up taken at a store's
counter (门店充值, services/wallet/counter_topup.py) credits the wallet under its store, and `topups` breaks a
day's paid top-ups down per store and way of paying (现金, 银行卡, 付款码, online).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from domain.clock import local_midnight_utc
from domain.money import format_yuan
from models import Order, Store, Wallet, WalletTransaction

NO_STORE = "线上/未指定门店"
MOVEMENT_KINDS = ("credit", "debit", "refund", "withdraw")


@dataclass
class StoreLine:
    store: str
    principal: int = 0
    bonus: int = 0
    gift_card: int = 0  # gift card balances (principal + bonus), kept apart from members' own wallets
    movements: dict = field(default_factory=dict)  # kind -> (principal delta, bonus delta) during the day

    @property
    def total(self):
        return self.principal + self.bonus + self.gift_card


def _end_of(day, tz_name):
    return local_midnight_utc(day + timedelta(days=1), tz_name)


def _store_names(session, merchant_id):
    return dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)).all())


def report(session, merchant, day):
    """[StoreLine] per store (stores with nothing are left out) and a total line, as at the end of `day`."""
    tz_name = merchant.timezone
    end, start = _end_of(day, tz_name), local_midnight_utc(day, tz_name)
    names = _store_names(session, merchant.id)
    lines = {}

    def line(store_id):
        name = names.get(store_id, NO_STORE)
        return lines.setdefault(name, StoreLine(name))

    is_gift = Wallet.kind == "gift_card"
    balances = session.execute(
        select(WalletTransaction.store_id, is_gift,
               func.coalesce(func.sum(WalletTransaction.principal_delta), 0),
               func.coalesce(func.sum(WalletTransaction.bonus_delta), 0))
        .join(Wallet, Wallet.id == WalletTransaction.wallet_id)
        .where(WalletTransaction.merchant_id == merchant.id, WalletTransaction.created_at < end)
        .group_by(WalletTransaction.store_id, is_gift)).all()
    for store_id, gift, principal, bonus in balances:
        target = line(store_id)
        if gift:
            target.gift_card += int(principal) + int(bonus)
        else:
            target.principal += int(principal)
            target.bonus += int(bonus)
    moved = session.execute(
        select(WalletTransaction.store_id, WalletTransaction.kind,
               func.coalesce(func.sum(WalletTransaction.principal_delta), 0),
               func.coalesce(func.sum(WalletTransaction.bonus_delta), 0))
        .where(WalletTransaction.merchant_id == merchant.id, WalletTransaction.created_at >= start,
               WalletTransaction.created_at < end, WalletTransaction.kind.in_(MOVEMENT_KINDS))
        .group_by(WalletTransaction.store_id, WalletTransaction.kind)).all()
    for store_id, kind, principal, bonus in moved:
        line(store_id).movements[kind] = (int(principal), int(bonus))
    rows = sorted((l for l in lines.values() if l.total or l.movements), key=lambda l: (l.store == NO_STORE, l.store))
    return rows, _total(rows)


def _total(rows):
    total = StoreLine("合计")
    for row in rows:
        total.principal += row.principal
        total.bonus += row.bonus
        total.gift_card += row.gift_card
        for kind, (principal, bonus) in row.movements.items():
            before = total.movements.get(kind, (0, 0))
            total.movements[kind] = (before[0] + principal, before[1] + bonus)
    return total


HEADER = ("门店", "会员本金余额（元）", "会员赠送余额（元）", "礼品卡余额（元）", "当日充值（元）", "当日消费（元）",
          "当日退款（元）", "当日退还（元）")


def table(rows, total, money=format_yuan):
    """The report as rows for CSV/XLSX: one line per store, then the total; `money` renders fen."""
    def moved(line, kind):
        principal, bonus = line.movements.get(kind, (0, 0))
        return money(principal + bonus)

    return [HEADER] + [(line.store, money(line.principal), money(line.bonus), money(line.gift_card),
                        *(moved(line, kind) for kind in MOVEMENT_KINDS)) for line in [*rows, total]]


# How a top-up was paid: by hand at the counter, by payment code at the counter (a store), or online (no store).
TENDER_LABELS = {"cash": "现金", "bankcard": "银行卡", "wechat": "微信付款码", "alipay": "支付宝付款码",
                 "online:wechat": "线上微信支付", "online:alipay": "线上支付宝"}


@dataclass
class TopupLine:
    store: str
    tender: str
    count: int
    amount: int
    refunded: int


def topups(session, merchant, day):
    """[TopupLine] of the top-up orders paid during `day`, per store and way of paying (the counter's by store,
    online ones under 线上/未指定门店), counter lines first; refunded so far is beside each."""
    tz_name = merchant.timezone
    end, start = _end_of(day, tz_name), local_midnight_utc(day, tz_name)
    names = _store_names(session, merchant.id)
    rows = session.execute(
        select(Order.store_id, Order.channel, func.count(), func.coalesce(func.sum(Order.amount), 0),
               func.coalesce(func.sum(Order.refunded_amount), 0))
        .where(Order.merchant_id == merchant.id, Order.kind == "topup", Order.paid_at >= start, Order.paid_at < end)
        .group_by(Order.store_id, Order.channel)).all()
    lines = [TopupLine(names.get(store_id, NO_STORE),
                       TENDER_LABELS.get(channel if store_id is not None else f"online:{channel}", channel),
                       int(count), int(amount), int(refunded))
             for store_id, channel, count, amount, refunded in rows]
    return sorted(lines, key=lambda line: (line.store == NO_STORE, line.store, line.tender))
