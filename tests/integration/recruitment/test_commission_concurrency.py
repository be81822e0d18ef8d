"""Commission under concurrency, with real threads on PostgreSQL: one order paid by many notifications at once, or
earned by many fulfilments at once, earns once; refunds of one order or one till payment at once never take back
more than was earned; a guided member's two payments at once earn twice, one entry each."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from domain.orders import Expected
from models import Member, Merchant, Order, Staff
from models.checkout import Checkout
from models.commission import CommissionEntry
from services.orders import orders, refunds, settlement
from services.recruitment import commission
from services.till import checkout
from tests.integration.helpers import run_concurrently
from tests.integration.recruitment.commission_world import commission_shop

THREADS = 8
pytestmark = pytest.mark.usefixtures("fake_channel")  # refunds succeed at once (conftest.py)


@pytest.fixture()
def shop(db, make):
    world = commission_shop(db, make, "并发提成店", "cc", "13900000101")
    db.session.commit()
    return world


def unpaid_topup(db, shop, amount=10000, key="topup-race"):
    order = orders.create(db.session, shop["merchant"], shop["member"].id, kind="topup", channel="wechat",
                          amount=amount, description="储值充值", items={"principal": amount, "bonus": 0}, key=key)
    order.staff_id = shop["guide"].id
    db.session.commit()
    return order.id


def entries_of(db, kind=None):
    db.session.expire_all()
    query = select(CommissionEntry).order_by(CommissionEntry.id)
    if kind:
        query = query.where(CommissionEntry.kind == kind)
    return db.session.scalars(query).all()


def test_does_one_order_paid_by_many_notifications_at_once_earn_once(app, db, shop):
    order_id, merchant_id = unpaid_topup(db, shop), shop["merchant"].id

    def notify(session, index):
        order = session.get(Order, order_id)
        return settlement.record_payment(session, session.get(Merchant, merchant_id), order, amount=10000,
                                         currency="CNY", app_id="wx", merchant_no="m", channel_trade_no="T1",
                                         payer="o", expected=Expected(10000, "CNY", "wx", "m"))

    results, errors = run_concurrently(app, THREADS, notify)
    assert sorted(results) == [False] * (THREADS - 1) + [True] and errors == []
    [entry] = entries_of(db)
    assert (entry.kind, entry.amount, entry.reference_id) == ("topup", 200, order_id)


def test_does_one_order_earned_by_many_fulfilments_at_once_earn_once(app, db, shop):
    order_id, merchant_id = unpaid_topup(db, shop), shop["merchant"].id

    def earn(session, index):
        return commission.for_order(session, session.get(Merchant, merchant_id), session.get(Order, order_id))

    results, errors = run_concurrently(app, THREADS, earn)
    assert errors == [] and sum(1 for r in results if r is not None) == 1
    assert [e.amount for e in entries_of(db)] == [200]


def test_do_refunds_of_one_order_at_once_never_take_back_more_than_was_earned(app, db, shop):
    order_id, merchant_id = unpaid_topup(db, shop, amount=10001), shop["merchant"].id
    order = db.session.get(Order, order_id)
    settlement.record_payment(db.session, shop["merchant"], order, amount=10001, currency="CNY", app_id="wx",
                              merchant_no="m", channel_trade_no="T2", payer="o",
                              expected=Expected(10001, "CNY", "wx", "m"))
    db.session.commit()
    owner_id = shop["owner"].id

    def refund(session, index):  # eight refunds of 1250 each ask for ¥100.00 of a ¥100.01 order: all but the last fit
        return refunds.refund_order(session, session.get(Staff, owner_id), order_id, 1250, reason="并发退款",
                                    key=f"race:{index}")

    results, errors = run_concurrently(app, THREADS, refund)
    assert len(results) == THREADS and errors == []
    reversed_total = -sum(e.amount for e in entries_of(db, "reversal"))
    assert reversed_total == 200 * 10000 // 10001 == 199  # the share of what was refunded, rounded down
    assert len(entries_of(db, "reversal")) == THREADS


def test_do_till_refunds_of_one_payment_at_once_take_back_exactly_what_was_earned(app, db, shop):
    member = shop["member"]
    member.guide_id, member.guide_bound_at = shop["guide"].id, datetime.now(timezone.utc) - timedelta(days=1)
    made = checkout.pay(db.session, shop["merchant"], shop["owner"], store_id=shop["store"].id, member_id=member.id,
                        amount=8000, tender="cash", choice=None, seed="s", key="till-race")
    db.session.commit()
    checkout_id, owner_id = made.id, shop["owner"].id

    def refund(session, index):
        return checkout.refund(session, session.get(Staff, owner_id), checkout_id, 1000, reason="并发退款",
                               key=f"till-race:{index}")

    results, errors = run_concurrently(app, THREADS, refund)
    assert len(results) == THREADS and errors == []
    db.session.expire_all()
    assert db.session.get(Checkout, checkout_id).refunded_amount == 8000
    assert [e.amount for e in entries_of(db, "guided_spend")] == [120]
    assert sum(e.amount for e in entries_of(db, "reversal")) == -120
    assert db.session.scalar(select(func.sum(CommissionEntry.amount))) == 0


def test_do_a_guided_members_payments_at_once_earn_one_entry_each(app, db, shop):
    member = shop["member"]
    member.guide_id, member.guide_bound_at = shop["guide"].id, datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    ids = shop["merchant"].id, shop["store"].id, shop["owner"].id, member.id

    def pay(session, index):
        merchant_id, store_id, owner_id, member_id = ids
        return checkout.pay(session, session.get(Merchant, merchant_id), session.get(Staff, owner_id),
                            store_id=store_id, member_id=member_id, amount=1000, tender="cash", choice=None,
                            seed=f"s{index}", key=f"pay-{index % 4}").id  # four requests, each sent twice

    results, errors = run_concurrently(app, THREADS, pay)
    assert errors == [] and len(set(results)) == 4
    assert sorted(e.reference_id for e in entries_of(db)) == sorted(set(results))
    assert db.session.get(Member, member.id).guide_id == shop["guide"].id
