"""A generated month of stored value and points over two stores, through the services that write them: online
top-ups (WeChat Pay, Alipay) and counter top-ups (cash, bank card) with bonus, instalments and gift points,
spending at the till by balance and in cash (earning points), till refunds (balance and points back), refunded
counter top-ups, 积分转储值, gift cards sold and spent, points adjusted both ways and expired, a failed refund's
money put back, a returned member card, and another merchant's own movements.

The ledgers stamp their rows with the time they are written; each event's rows are moved to its moment in the
month afterwards (as if written then), and the orders and checkouts take that moment from `now=`."""
import random
from datetime import timedelta

from sqlalchemy import func, select, update

from domain.clock import now_utc
from domain.errors import DomainError
from domain.orders import Expected
from models import Card, Order, PointsLot, PointsTransaction, Wallet, WalletTransaction
from services.cards import gift_issue, gift_spend, gift_templates
from services.orders import refunds as order_refunds, settlement
from services.points import ledger as points
from services.till import checkout, refunds as till_refunds, settings as till_settings
from services.wallet import counter_topup, journal, points_to_balance, stored_value


def shop(db, make):
    merchant = make.merchant()
    stores = [make.store(merchant, name="一号店"), make.store(merchant, name="二号店")]
    owner = make.staff(merchant, role="owner")
    members = [make.member(merchant) for _ in range(5)]
    other = make.merchant(slug="other")
    other_store = make.store(other)
    other_owner = make.staff(other, role="owner")
    other_member = make.member(other)
    stored_value.enable(db.session, owner)
    settings = stored_value.settings_of(db.session, merchant.id)
    settings.allow_custom_amount, settings.custom_min, settings.custom_max = True, 1000, 500000
    tier = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1500, instalment_total=600,
                                  instalment_months=1, points=20, growth=0, coupons=[], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    points_to_balance.set_rate(db.session, owner, 10)
    till = till_settings.settings_of(db.session, merchant.id)
    till.points_per_yuan, till.referral_levels, till.referral_percent = 100, 1, 20  # points used, referral shares
    members[1].referrer_id = members[2].referrer_id = members[0].id
    gift = gift_templates.save_template(db.session, owner, None, title="礼品卡", face_values=[20000, 50000],
                                        themes=[], activation="auto")
    db.session.commit()
    return dict(merchant=merchant, stores=stores, owner=owner, members=members, tier=tier, gift=gift, other=other,
                other_store=other_store, other_owner=other_owner, other_member=other_member)


class Month:
    def __init__(self, db, shop, seed):
        self.db, self.s, self.rng = db, shop, random.Random(seed)
        self.session, self.merchant = db.session, shop["merchant"]
        self.topups, self.balance_checkouts, self.cards = [], [], []
        self.n = 0

    def key(self, what):
        self.n += 1
        return f"{what}-{self.n}"

    def store(self):
        return self.rng.choice(self.s["stores"])

    def member(self):
        return self.rng.choice(self.s["members"])

    def balance(self, member):
        purse = journal.member_wallet(self.session, self.merchant.id, member.id)
        self.session.refresh(purse)
        return purse

    def online_topup(self, when):
        member = self.member()
        choice = {"rule_id": self.s["tier"].id} if self.rng.random() < 0.5 else {
            "custom_amount": self.rng.randint(10, 3000) * 100}
        order = stored_value.create_topup_order(self.session, self.merchant, member.id,
                                                channel=self.rng.choice(["wechat", "alipay"]), key=self.key("online"),
                                                now=when, **choice)
        settlement.record_payment(self.session, self.merchant, order, amount=order.amount, currency="CNY",
                                  app_id="app", merchant_no="", channel_trade_no="T" + order.out_trade_no,
                                  payer="openid", expected=Expected(order.amount, "CNY", "app", ""), now=when)
        return order

    def counter_topup(self, when):
        choice = {"rule_id": self.s["tier"].id} if self.rng.random() < 0.5 else {
            "custom_amount": self.rng.randint(10, 3000) * 100}
        order = counter_topup.take_by_hand(self.session, self.merchant, self.s["owner"], store_id=self.store().id,
                                           member_id=self.member().id, tender=self.rng.choice(["cash", "bankcard"]),
                                           key=self.key("counter"), now=when, **choice)
        self.topups.append(order.id)
        return order

    def instalment(self, order_id, when):
        order = self.session.get(Order, order_id)
        stored_value.pay_due_instalments(self.session, order, now=when)

    def pay(self, when, by_balance):
        member = self.member()
        purse = self.balance(member)
        if by_balance and purse.balance < 100:
            return None
        amount = self.rng.randint(100, min(purse.balance, 30000)) if by_balance else self.rng.randint(100, 50000)
        made = checkout.pay(self.session, self.merchant, self.s["owner"], store_id=self.store().id,
                            member_id=member.id, amount=amount, tender="balance" if by_balance else "cash",
                            choice=None, seed=self.key("seed"), key=self.key("pay"), now=when)
        if by_balance:
            self.balance_checkouts.append(made.id)
        return made

    def till_refund(self, when):
        if not self.balance_checkouts:
            return
        made = checkout.get(self.session, self.merchant.id, self.rng.choice(self.balance_checkouts))
        left = made.pay - made.refunded_amount
        if left > 0:
            till_refunds.refund(self.session, self.s["owner"], made.id, self.rng.randint(1, left), reason="退货",
                                key=self.key("till-refund"), now=when)

    def topup_refund(self, when):
        for order_id in self.rng.sample(self.topups, len(self.topups)):
            order = self.session.get(Order, order_id)
            principal = self.balance(order.member).principal
            most = min(order.amount - order.refunded_amount, principal)
            if most > 0:
                order_refunds.refund_topup(self.session, self.s["owner"], order.id, self.rng.randint(1, most),
                                           reason="顾客要求", key=self.key("topup-refund"), now=when)
                return

    def to_balance(self, when):
        member = self.member()
        self.session.refresh(member)
        if member.points_balance >= 10:
            points_to_balance.convert(self.session, self.merchant, member.id,
                                      10 * self.rng.randint(1, member.points_balance // 10), key=self.key("p2b"),
                                      store_id=self.store().id, now=when)

    def gift_card(self, when):
        card = gift_issue.issue_electronic(self.session, self.merchant, self.s["gift"].id, self.member().id,
                                           face_value=self.rng.choice([20000, 50000]), theme=None, channel="staff",
                                           key=self.key("gift"), price_paid=self.rng.choice([None, 18000]),
                                           now=when)
        self.cards.append(card.id)

    def gift_spend(self, when):
        if self.cards:
            card = self.session.get(Card, self.rng.choice(self.cards))
            left = self.session.get(Wallet, card.wallet_id, populate_existing=True).balance
            if left:
                gift_spend.spend(self.session, self.s["owner"], card.id, store_id=self.store().id, method="manual",
                                 key=self.key("gift-spend"), amount=self.rng.randint(1, left), now=when)

    def adjust(self, when):
        member = self.member()
        self.session.refresh(member)
        delta = self.rng.choice([1, -1]) * self.rng.randint(1, 200)
        if delta < 0 and member.points_balance < -delta:
            delta = -delta
        points.adjust(self.session, self.merchant, member.id, delta, key=self.key("adjust"), reason="手动调整",
                      operator=self.s["owner"], store_id=self.rng.choice([None, self.store().id]), now=when)

    def expire(self, when):
        lot = self.session.scalars(select(PointsLot).where(PointsLot.merchant_id == self.merchant.id,
                                                           PointsLot.remaining > 0).order_by(PointsLot.id)
                                   .limit(1)).first()
        if lot is not None:
            lot.expires_at = when - timedelta(minutes=1)
            self.session.flush()
            points.expire_due(self.session, self.merchant, now=when)

    def odd_ones(self, when):
        """A failed refund's money put back, a credit with no reference, a returned member card's settlement."""
        purse = self.balance(self.member())
        journal.credit(self.session, self.merchant.id, purse.id, 1234, 56, key=self.key("put-back"),
                       reference=("order_refund", 999), note="退款失败退回")
        journal.credit(self.session, self.merchant.id, purse.id, 0, 300, key=self.key("gift-bonus"),
                       store_id=self.store().id)
        purse = self.balance(self.member())
        if purse.balance:
            journal.withdraw(self.session, self.merchant.id, purse.id, purse.principal, purse.bonus,
                             key=self.key("card-return"), reference=("member_card", 1), operator=self.s["owner"])

    def event(self, when):
        choice = self.rng.random()
        actions = [(0.15, self.online_topup), (0.30, self.counter_topup), (0.55, lambda w: self.pay(w, True)),
                   (0.65, lambda w: self.pay(w, False)), (0.72, self.till_refund), (0.77, self.topup_refund),
                   (0.81, self.to_balance), (0.85, self.gift_card), (0.89, self.gift_spend), (0.95, self.adjust),
                   (1.0, self.expire)]
        next(action for bound, action in actions if choice < bound)(when)


def _stamp(db, merchant_ids, since, when):
    """Rows written since the marks move to `when`: ledger rows are stamped with the time they are written."""
    for model, mark in ((WalletTransaction, since[0]), (PointsTransaction, since[1])):
        db.session.execute(update(model).where(model.merchant_id.in_(merchant_ids), model.id > mark)
                           .values(created_at=when).execution_options(synchronize_session=False))


def _marks(db):
    return (db.session.scalar(select(func.coalesce(func.max(WalletTransaction.id), 0))),
            db.session.scalar(select(func.coalesce(func.max(PointsTransaction.id), 0))))


def generate(db, shop, days=30, per_day=7, seed=11):
    month = Month(db, shop, seed)
    ids = [shop["merchant"].id, shop["other"].id]
    start = now_utc() - timedelta(days=days)
    for day in range(days + 1):
        for n in range(per_day + (6 if day == 0 else 0)):  # the first day fills the wallets
            when = min(start + timedelta(days=day, minutes=month.rng.randint(0, 60 * 23)), now_utc())
            marks = _marks(db)
            try:
                with db.session.begin_nested():
                    (month.counter_topup if day == 0 else month.event)(when)
            except DomainError:
                pass  # a refusal the services made (a limit, a balance): nothing was written
            _stamp(db, ids, marks, when)
            db.session.commit()
        if day in (3, 17):
            when = min(start + timedelta(days=day, hours=12), now_utc())
            marks = _marks(db)
            month.odd_ones(when)
            for order_id in month.topups[:3]:
                month.instalment(order_id, when + timedelta(days=40))
            _stamp(db, ids, marks, when)
            db.session.commit()
    # another merchant's movements never show
    marks = _marks(db)
    purse = journal.member_wallet(db.session, shop["other"].id, shop["other_member"].id)
    journal.credit(db.session, shop["other"].id, purse.id, 99999, 1, key="other-credit",
                   store_id=shop["other_store"].id)
    points.earn(db.session, shop["other"], shop["other_member"].id, 777, key="other-earn")
    _stamp(db, ids, marks, now_utc() - timedelta(days=2))
    db.session.commit()
    return month
