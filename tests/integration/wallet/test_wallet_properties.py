"""Random sequences of top-ups, spends, refunds, freezes, card replacements and returns against PostgreSQL:
the journal always balances, no wallet goes negative, and principal and bonus each equal their journal sums.

Every step is the real service code, in a transaction of its own. Top-ups also go through paid orders, and
those are refunded in part (principal back, bonus taken back in proportion) through a stand-in channel that
answers "succeeded" or "processing"; a processing refund later succeeds or fails (and is put back).
"""
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from channels import payment_channels
from domain.errors import DomainError
from domain.orders import Expected
from extensions import db
from models import Order, OrderRefund, WalletPosting, WalletTransaction
from services.cards import physical as member_cards
from services.members import members
from services.orders import refund_results, refunds, settlement
from services.points import ledger as points
from services.wallet import points_to_balance, stored_value, journal as wallet

AMOUNTS = st.integers(min_value=1, max_value=50_000)


class WalletMachine(RuleBasedStateMachine):
    """One member with a physical card; each rule is one request, committed or rolled back as a whole."""

    make = None  # set by the test

    @initialize()
    def open_account(self):
        self.step = 0
        self.merchant = self.make.merchant()
        self.owner = self.make.staff(self.merchant, role="owner")
        self.member = self.make.member(self.merchant)
        self.card = members.bind_identity(db.session, self.member, "card_no", f"CARD{self.member.id}X0")
        self.purse = wallet.member_wallet(db.session, self.merchant.id, self.member.id)
        self.debits = []
        self.member.name = "持卡人"  # large top-ups need the real name
        stored_value.enable(db.session, self.owner)
        settings_row = stored_value.settings_of(db.session, self.merchant.id)
        settings_row.allow_custom_amount, settings_row.max_balance = True, 10**9
        points_to_balance.set_rate(db.session, self.owner, 10)
        db.session.commit()
        self.paid_orders = []

    def _key(self, what):
        self.step += 1
        return f"prop:{what}:{self.step}"

    def _request(self, operation):
        """A request: commit on success, roll back everything on a refusal (DomainError is allowed)."""
        try:
            result = operation()
            db.session.commit()
            return result
        except DomainError:
            db.session.rollback()
            return None

    @rule(principal=AMOUNTS, bonus=st.integers(min_value=0, max_value=10_000))
    def top_up(self, principal, bonus):
        self._request(lambda: wallet.credit(db.session, self.merchant.id, self.purse.id, principal, bonus,
                                            key=self._key("topup")))

    @rule(yuan=st.integers(min_value=10, max_value=2000), bonus=st.integers(min_value=0, max_value=50_000))
    def top_up_through_a_paid_order(self, yuan, bonus):
        def buy_and_pay():
            order = stored_value.create_topup_order(db.session, self.merchant, self.member.id, channel="wechat",
                                                    key=self._key("order"), custom_amount=yuan * 100)
            order.items = {**order.items, "bonus": bonus}  # as a tier would give; custom amounts give none
            db.session.flush()
            settlement.record_payment(db.session, self.merchant, order, amount=order.amount, currency="CNY",
                                  app_id="wx", merchant_no="", channel_trade_no=f"T{order.id}", payer="o",
                                  expected=Expected(order.amount, "CNY", "wx", ""))
            return order.id

        order_id = self._request(buy_and_pay)
        if order_id is not None:
            self.paid_orders.append(order_id)

    @precondition(lambda self: bool(self.paid_orders))
    @rule(data=st.data(), settles_later=st.booleans())
    def refund_part_of_a_top_up(self, data, settles_later):
        order_id = data.draw(st.sampled_from(self.paid_orders))
        left = refunds.refundable_left(db.session.get(Order, order_id))
        amount = data.draw(st.integers(min_value=1, max_value=max(1, left)))
        StandInChannel.answer = "processing" if settles_later else "succeeded"
        self._request(lambda: refunds.refund_topup(db.session, self.owner, order_id, amount, reason="测试退款",
                                                   key=self._key("order-refund")))

    @rule(succeeded=st.booleans())
    def the_channel_settles_a_processing_refund(self, succeeded):
        pending = db.session.scalars(select(OrderRefund).where(OrderRefund.state == "processing")
                                     .order_by(OrderRefund.id).limit(1)).first()
        if pending is not None:
            self._request(lambda: refund_results.settle(db.session, pending, succeeded, reason="银行卡已注销"))

    @rule(amount=AMOUNTS)
    def spend(self, amount):
        txn = self._request(lambda: wallet.debit(db.session, self.merchant.id, self.purse.id, amount,
                                                 key=self._key("spend")))
        if txn is not None:
            self.debits.append((txn.id, amount))

    @precondition(lambda self: bool(self.debits))
    @rule(data=st.data())
    def refund_part_of_a_spend(self, data):
        debit_id, amount = data.draw(st.sampled_from(self.debits))
        back = data.draw(st.integers(min_value=1, max_value=amount))
        self._request(lambda: wallet.refund_debit(db.session, self.merchant.id, debit_id, back,
                                                  key=self._key("refund")))

    @rule(earned=st.integers(min_value=1, max_value=2000), yuan=st.integers(min_value=1, max_value=300))
    def earn_and_convert_points(self, earned, yuan):
        self._request(lambda: points.earn(db.session, self.merchant, self.member.id, earned, key=self._key("earn")))
        self._request(lambda: points_to_balance.convert(db.session, self.merchant, self.member.id, yuan * 10,
                                                        key=self._key("convert")))

    @rule(frozen=st.booleans())
    def freeze_or_unfreeze(self, frozen):
        self._request(lambda: wallet.set_frozen(db.session, self.merchant.id, self.purse.id, frozen,
                                                key=self._key("freeze")))

    @rule()
    def lose_and_replace_the_card(self):
        def replace():
            if member_cards.status(self.card) == "active":
                member_cards.report_lost(db.session, self.owner, self.member, self.card.id, key=self._key("lost"))
            return member_cards.replace(db.session, self.owner, self.member, self.card.id,
                                        f"CARD{self.member.id}X{self.step}", key=self._key("replace"))

        fresh = self._request(replace)
        if fresh is not None:
            self.card = fresh

    @rule()
    def return_the_card_and_take_a_new_one(self):
        if self._request(lambda: member_cards.return_card(db.session, self.owner, self.member, self.card.id,
                                                          key=self._key("return"))) is not None or \
                member_cards.status(db.session.get(type(self.card), self.card.id)) == "returned":
            self.card = self._request(lambda: members.bind_identity(
                db.session, self.member, "card_no", f"CARD{self.member.id}R{self.step}")) or self.card

    @invariant()
    def books_balance(self):
        if not hasattr(self, "purse"):
            return
        db.session.expire_all()
        purse = db.session.get(type(self.purse), self.purse.id)
        assert purse.principal >= 0 and purse.bonus >= 0
        member = db.session.get(type(self.member), self.member.id)
        lots = points.lots_of(db.session, self.merchant.id, member.id)
        assert member.points_balance == sum(lot.remaining for lot in lots) >= 0
        assert wallet.journal_balance(db.session, purse.id) == (purse.principal, purse.bonus)
        unbalanced = db.session.scalars(
            select(WalletPosting.transaction_id).group_by(WalletPosting.transaction_id)
            .having(func.sum(WalletPosting.amount) != 0)).all()
        assert unbalanced == []
        last = db.session.scalars(select(WalletTransaction).where(WalletTransaction.wallet_id == purse.id)
                                  .order_by(WalletTransaction.id.desc()).limit(1)).first()
        if last is not None:
            assert (last.principal_after, last.bonus_after) == (purse.principal, purse.bonus)
        for order in db.session.scalars(select(Order).where(Order.member_id == member.id)):
            records = [r for r in refunds.refunds_of(db.session, self.merchant.id, order.id) if r.state != "failed"]
            assert order.refunded_amount == sum(r.amount for r in records) <= order.amount
            assert sum(r.bonus_back + r.bonus_unrecoverable for r in records) <= order.items["bonus"]


class StandInChannel:
    """The channel a refund is sent to: it accepts every refund, paid at once or later as the rule chose."""

    answer = "succeeded"

    @classmethod
    def refund(cls, merchant, order, amount, out_refund_no, reason):
        return {"refund_id": f"R{out_refund_no}", "status": cls.answer}


def test_do_random_sequences_keep_the_stored_value_books_consistent(db, make, monkeypatch):
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: StandInChannel)
    WalletMachine.make = make
    runner = WalletMachine.TestCase
    runner.settings = settings(max_examples=25, stateful_step_count=15, deadline=None, database=None,
                               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    try:
        runner().runTest()
    finally:
        db.session.rollback()
