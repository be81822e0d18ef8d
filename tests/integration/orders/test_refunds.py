"""Refunds of top-ups: principal back, bonus taken back in proportion, never below zero, the channel asked last."""
import pytest
from sqlalchemy import func, select

from channels import payment_channels
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.orders import Expected
from models import Order, OrderRefund, Staff, WalletPosting
from services.orders import orders, refunds, settlement
from services.wallet import stored_value, journal as wallet
from tests.integration.helpers import run_concurrently

CHANNEL_CALLS = []


class FakeChannel:
    """Stands in for a channel of channels.payment_channels: records the call, or refuses like a channel would."""

    refuse = False

    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        if FakeChannel.refuse:
            raise Conflict("渠道拒绝退款：余额不足")
        CHANNEL_CALLS.append((order.out_trade_no, amount, out_refund_no))
        return {"refund_id": f"CH{out_refund_no}", "status": "succeeded"}


@pytest.fixture(autouse=True)
def fake_channel(monkeypatch):
    CHANNEL_CALLS.clear()
    FakeChannel.refuse = False
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: FakeChannel)


@pytest.fixture()
def paid(db, make):
    """A member who topped up ¥100 and got ¥10 bonus, paid through record_payment."""
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    order = orders.create(db.session, merchant, member.id, kind="topup", channel="wechat", amount=10000,
                          description="储值充值", items={"principal": 10000, "bonus": 1000}, key="topup:r")
    settlement.record_payment(db.session, merchant, order, amount=10000, currency="CNY", app_id="wx", merchant_no="m",
                          channel_trade_no="T1", payer="o", expected=Expected(10000, "CNY", "wx", "m"))
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member, order=order)


def _purse(db, paid):
    db.session.expire_all()
    return wallet.member_wallet(db.session, paid["merchant"].id, paid["member"].id)


def test_does_a_part_refund_return_principal_and_take_back_bonus_in_proportion(db, paid):
    record = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 3000, reason="顾客要求", key="rf:1")
    db.session.commit()
    assert (record.amount, record.bonus_back, record.bonus_unrecoverable, record.state) == (3000, 300, 0, "succeeded")
    purse = _purse(db, paid)
    assert (purse.principal, purse.bonus) == (7000, 700)
    order = db.session.get(Order, paid["order"].id)
    assert (order.refunded_amount, order.state) == (3000, "fulfilled")
    assert CHANNEL_CALLS == [(order.out_trade_no, 3000, record.out_refund_no)]


def test_does_the_last_refund_take_back_the_rest_of_the_bonus_and_end_the_order(db, paid):
    refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 3333, reason="一", key="rf:a")
    last = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 6667, reason="二", key="rf:b")
    db.session.commit()
    assert last.bonus_back == 1000 - 333
    assert (_purse(db, paid).principal, _purse(db, paid).bonus) == (0, 0)
    assert db.session.get(Order, paid["order"].id).state == "refunded"
    with pytest.raises(Conflict):
        refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1, reason="三", key="rf:c")


def test_is_spent_principal_refused_with_how_much_is_left(db, paid):
    purse = _purse(db, paid)
    wallet.debit(db.session, paid["merchant"].id, purse.id, 8800, key="spend:r")  # 8000 principal, 800 bonus
    db.session.commit()
    with pytest.raises(Conflict, match="最多可退 ¥20.00"):
        refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 5000, reason="退", key="rf:spent")
    db.session.rollback()
    assert CHANNEL_CALLS == [] and db.session.scalar(select(func.count(OrderRefund.id))) == 0


def test_is_bonus_already_spent_recorded_as_unrecoverable_and_the_wallet_never_negative(db, paid):
    purse = _purse(db, paid)
    wallet.credit(db.session, paid["merchant"].id, purse.id, 10000, 0, key="cash-topup")  # 20000 / 1000
    wallet.debit(db.session, paid["merchant"].id, purse.id, 10500, key="spend:b")  # 10000 / 500 left
    db.session.commit()
    record = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 10000, reason="退", key="rf:b2")
    db.session.commit()
    assert (record.bonus_back, record.bonus_unrecoverable) == (500, 500)
    assert (_purse(db, paid).principal, _purse(db, paid).bonus) == (0, 0)


def test_does_a_channel_refusal_change_nothing(db, paid):
    FakeChannel.refuse = True
    with pytest.raises(Conflict, match="渠道拒绝退款"):
        refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:no")
    db.session.rollback()
    assert (_purse(db, paid).principal, _purse(db, paid).bonus) == (10000, 1000)
    assert db.session.get(Order, paid["order"].id).refunded_amount == 0


def test_is_a_repeated_key_the_same_refund_and_a_cashier_refused(db, make, paid):
    first = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:same")
    again = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:same")
    assert again.id == first.id and len(CHANNEL_CALLS) == 1
    cashier = make.staff(paid["merchant"], role="cashier", stores_=[make.store(paid["merchant"])])
    with pytest.raises(PermissionDenied):
        refunds.refund_topup(db.session, cashier, paid["order"].id, 1000, reason="退", key="rf:cashier")


@pytest.mark.parametrize("amount", [0, -1, 10001])
def test_is_an_amount_outside_what_is_left_refused(db, paid, amount):
    with pytest.raises(DomainError, match="退款金额须在"):
        refunds.refund_topup(db.session, paid["owner"], paid["order"].id, amount, reason="退", key=f"rf:{amount}")


def test_do_concurrent_refunds_never_refund_more_than_was_paid(app, db, paid):
    order_id, owner_id = paid["order"].id, paid["owner"].id

    def refund(session, index):
        return refunds.refund_topup(session, session.get(Staff, owner_id), order_id, 4000, reason="并发",
                                    key=f"rf:race:{index}").id

    results, errors = run_concurrently(app, 6, refund)
    assert len(results) == 2 and len(errors) == 4
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    assert order.refunded_amount == 8000 and (_purse(db, paid).principal, _purse(db, paid).bonus) == (2000, 200)
    unbalanced = db.session.scalars(select(WalletPosting.transaction_id).group_by(WalletPosting.transaction_id)
                                    .having(func.sum(WalletPosting.amount) != 0)).all()
    assert unbalanced == []


def test_does_a_retry_after_a_lost_channel_answer_ask_about_the_same_refund(db, paid):
    FakeChannel.refuse = True
    with pytest.raises(Conflict):
        refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:lost")
    db.session.rollback()
    FakeChannel.refuse = False
    record = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:lost")
    other = refunds.refund_topup(db.session, paid["owner"], paid["order"].id, 1000, reason="退", key="rf:other")
    assert record.out_refund_no == refunds._out_refund_no(paid["merchant"].id, "rf:lost") != other.out_refund_no
    assert len(record.out_refund_no) <= 32
