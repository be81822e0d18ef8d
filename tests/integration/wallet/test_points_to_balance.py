"""积分转储值: points out of the lots and bonus into the wallet in one transaction, at the merchant's rate."""
import pytest
from sqlalchemy import func, select

from domain.errors import DomainError, InsufficientPoints
from models import PointsTransaction, WalletTransaction
from services.points import ledger as points
from services.wallet import points_to_balance, stored_value, journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    points_to_balance.set_rate(db.session, owner, 10)  # 10 points = ¥1
    points.earn(db.session, merchant, member.id, 1000, key="earn:1")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member)


def test_do_points_become_bonus_balance_at_the_rate_once_per_key(db, shop):
    spent, credited = points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 300, key="c:1")
    again = points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 300, key="c:1")
    db.session.commit()
    assert (spent.amount, credited.principal_delta, credited.bonus_delta) == (-300, 0, 3000)
    assert (again[0].id, again[1].id) == (spent.id, credited.id)
    db.session.expire_all()
    purse = wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id)
    assert (purse.principal, purse.bonus) == (0, 3000) and shop["member"].points_balance == 700


@pytest.mark.parametrize("amount, message", [(5, "整数倍"), (0, "请输入"), (-10, "请输入")])
def test_is_a_bad_amount_refused_with_nothing_changed(db, shop, amount, message):
    with pytest.raises(DomainError, match=message):
        points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, amount, key="c:bad")
    db.session.rollback()
    assert db.session.scalar(select(func.count(WalletTransaction.id))) == 0


def test_are_too_few_points_refused_and_the_wallet_left_alone(db, shop):
    with pytest.raises(InsufficientPoints):
        points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 2000, key="c:short")
    db.session.rollback()
    assert db.session.scalar(select(func.count(WalletTransaction.id))) == 0


def test_is_the_conversion_refused_when_the_merchant_has_no_rate(db, shop):
    points_to_balance.set_rate(db.session, shop["owner"], None)
    with pytest.raises(DomainError, match="未开通"):
        points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 100, key="c:off")


def test_do_concurrent_conversions_never_overspend_points(app, db, shop):
    merchant_id, member_id = shop["merchant"].id, shop["member"].id

    def convert(session, index):
        from models import Merchant

        return points_to_balance.convert(session, session.get(Merchant, merchant_id), member_id, 300,
                                         key=f"c:race:{index}")[1].id

    results, errors = run_concurrently(app, 8, convert)
    assert len(results) == 3 and len(errors) == 5  # 1000 points buy three lots of 300
    db.session.expire_all()
    purse = wallet.member_wallet(db.session, merchant_id, member_id)
    spent = db.session.scalar(select(func.sum(PointsTransaction.amount)).where(PointsTransaction.member_id == member_id))
    assert purse.bonus == 9000 and spent == 100


def test_is_a_conversion_that_would_pass_the_named_card_cap_refused_and_a_replay_still_answered(db, shop):
    stored_value.settings_of(db.session, shop["merchant"].id).max_balance = 5000  # ¥50
    db.session.commit()
    first = points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 300, key="c:cap1")  # ¥30
    db.session.commit()
    with pytest.raises(DomainError, match="超过上限 50 元"):
        points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 300, key="c:cap2")
    db.session.rollback()
    again = points_to_balance.convert(db.session, shop["merchant"], shop["member"].id, 300, key="c:cap1")
    assert again[1].id == first[1].id
    db.session.expire_all()
    assert wallet.member_wallet(db.session, shop["merchant"].id, shop["member"].id).bonus == 3000
    assert shop["member"].points_balance == 700
