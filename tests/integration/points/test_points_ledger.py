"""The points ledger against PostgreSQL: lots never below zero, balance = what remains in the lots."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import DomainError, InsufficientPoints
from models import Member, PointsLot, PointsTransaction
from services.points import ledger as points
from tests.integration.helpers import run_concurrently


def assert_balance_is_sum_of_lots(session, member_id):
    session.expire_all()
    member = session.get(Member, member_id)
    remaining = session.scalar(select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(PointsLot.member_id == member_id))
    journal = session.scalar(select(func.coalesce(func.sum(PointsTransaction.amount), 0)).where(PointsTransaction.member_id == member_id))
    assert member.points_balance == remaining == journal
    assert session.scalar(select(func.min(PointsLot.remaining)).where(PointsLot.member_id == member_id)) >= 0
    return member.points_balance


def earn_lots(session, merchant, member, amounts, start=None):
    start = start or now_utc() - timedelta(days=10)
    merchant.points_expiry_mode, merchant.points_expiry_days = "days", 30
    for index, amount in enumerate(amounts):
        points.earn(session, merchant, member.id, amount, key=f"lot:{member.id}:{index}", now=start + timedelta(days=index))


def test_do_fifty_concurrent_point_spends_keep_every_lot_non_negative(app, db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    earn_lots(db.session, merchant, member, [100, 250, 75, 300])  # 725 points in four lots
    db.session.commit()
    merchant_id, member_id = merchant.id, member.id

    def spend(session, index):
        from models import Merchant

        return points.spend(session, session.get(Merchant, merchant_id), member_id, 40, key=f"spend:{index}").id

    done, refused = run_concurrently(app, 50, spend)

    assert len(done) == 725 // 40
    assert all(isinstance(e, InsufficientPoints) for e in refused) and len(refused) == 50 - len(done)
    assert assert_balance_is_sum_of_lots(db.session, member_id) == 725 - 40 * len(done)


def test_is_the_same_points_key_sent_concurrently_applied_once(app, db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    db.session.commit()
    merchant_id, member_id = merchant.id, member.id

    def earn(session, index):
        from models import Merchant

        return points.earn(session, session.get(Merchant, merchant_id), member_id, 10, key="receipt-42").id

    done, refused = run_concurrently(app, 20, earn)
    assert not refused and len(set(done)) == 1
    assert assert_balance_is_sum_of_lots(db.session, member_id) == 10


def test_does_a_spend_draw_from_the_soonest_expiring_lot_first(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    earn_lots(db.session, merchant, member, [100, 100, 100])
    txn = points.spend(db.session, merchant, member.id, 150, key="s")
    lots = points.lots_of(db.session, merchant.id, member.id)
    assert [lot.remaining for lot in lots] == [0, 50, 100]
    assert [(a.lot_id, a.amount) for a in txn.allocations] == [(lots[0].id, 100), (lots[1].id, 50)]
    assert assert_balance_is_sum_of_lots(db.session, member.id) == 150


def test_are_expired_lots_removed_by_the_expiry_job_once(db, make):
    from jobs import points as point_jobs
    from jobs.dispatch import execute

    merchant = make.merchant()
    member = make.member(merchant)
    earn_lots(db.session, merchant, member, [40], start=now_utc() - timedelta(days=45))  # past its 30 days
    points.earn(db.session, merchant, member.id, 60, key="recent", now=now_utc() - timedelta(days=5))
    points.earn(db.session, merchant, member.id, 5, key="fresh")
    db.session.commit()

    execute(point_jobs.expire_points_everywhere.job_name)
    execute(point_jobs.expire_points_for_merchant.job_name, merchant.id)  # a rerun changes nothing

    expiries = db.session.scalars(select(PointsTransaction).where(PointsTransaction.kind == "expire")).all()
    assert [e.amount for e in expiries] == [-40]
    assert assert_balance_is_sum_of_lots(db.session, member.id) == 65


def test_cannot_spend_points_from_an_expired_lot(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    earn_lots(db.session, merchant, member, [100], start=now_utc() - timedelta(days=60))
    with pytest.raises(InsufficientPoints):
        points.spend(db.session, merchant, member.id, 10, key="late")


def test_does_a_manual_adjustment_need_a_reason_and_record_the_operator(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    operator = make.staff(merchant, role="operator")
    with pytest.raises(DomainError, match="原因"):
        points.adjust(db.session, merchant, member.id, 10, key="a1", reason=" ", operator=operator)
    txn = points.adjust(db.session, merchant, member.id, 10, key="a2", reason="活动补偿", operator=operator)
    assert (txn.kind, txn.amount, txn.operator_id, txn.note) == ("adjust", 10, operator.id, "活动补偿")
    points.adjust(db.session, merchant, member.id, -4, key="a3", reason="误操作冲正", operator=operator)
    assert assert_balance_is_sum_of_lots(db.session, member.id) == 6


def test_can_a_cashier_adjust_points_in_a_store_that_is_not_theirs(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    cashier = make.staff(merchant, role="cashier")
    other_store = make.store(merchant)
    with pytest.raises(DomainError, match="门店"):
        points.adjust(db.session, merchant, member.id, 5, key="x", reason="测试", operator=cashier, store_id=other_store.id)
