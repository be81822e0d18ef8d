"""积分兑换 at the counter against PostgreSQL: the same form sent five times at once exchanges and hands over once;
a store the staff member does not work in is refused before any points move; another merchant's gift is not found
even for a role that may not exchange."""
import pytest
from sqlalchemy import func, select

from domain import roles
from domain.errors import NotFound, PermissionDenied
from models import GiftExchange, Member, Merchant, PointsTransaction, Staff, Verification
from services.members.levels import list_levels
from services.points import ledger
from services.points_mall import counter, gifts
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    owner = make.staff(merchant)
    cashier = make.staff(merchant, role=roles.CASHIER, stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, stores_=[east])
    member = make.member(merchant)
    ledger.earn(db.session, merchant, member.id, 100, key="seed")
    prices = {str(level.id): 30 for level in list_levels(db.session, merchant.id)}
    gift = gifts.save(db.session, owner, None, gifts.GiftValues(number="G1", name="马克杯", stock=5, prices=prices))
    other = make.merchant()
    foreign = gifts.save(db.session, make.staff(other), None, gifts.GiftValues(
        number="X", name="隔壁礼品", stock=5, prices={str(lv.id): 1 for lv in list_levels(db.session, other.id)}))
    db.session.commit()
    return dict(merchant=merchant, east=east, west=west, cashier=cashier, verifier=verifier, member=member, gift=gift,
                foreign=foreign)


def total(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_does_the_same_form_sent_five_times_at_once_exchange_once(app, db, shop):
    ids = (shop["cashier"].id, shop["member"].id, shop["gift"].id, shop["east"].id)

    def send(session, _index):
        actor, member = session.get(Staff, ids[0]), session.get(Member, ids[1])
        row, record = counter.exchange_and_hand_over(session, actor, member, ids[2], store_id=ids[3],
                                                     key="counter-mall:same-form")
        return row.id, record.id

    done, refused = run_concurrently(app, 5, send)
    assert refused == [] and len(set(done)) == 1
    assert total(db, GiftExchange) == 1 and total(db, Verification) == 1
    assert db.session.get(Member, shop["member"].id).points_balance == 70
    assert db.session.scalar(select(func.count()).select_from(PointsTransaction)
                             .where(PointsTransaction.amount < 0)) == 1


def test_is_a_store_the_cashier_does_not_work_in_refused_before_any_points_move(db, shop):
    with pytest.raises(PermissionDenied):
        counter.exchange_and_hand_over(db.session, shop["cashier"], shop["member"], shop["gift"].id,
                                       store_id=shop["west"].id, key="counter-mall:west-0001")
    db.session.rollback()
    assert total(db, GiftExchange) == 0 and db.session.get(Member, shop["member"].id).points_balance == 100


def test_is_another_merchants_gift_not_found_before_the_role_is_looked_at(db, shop):
    for actor in (shop["cashier"], shop["verifier"]):
        with pytest.raises(NotFound):
            counter.exchange_and_hand_over(db.session, actor, shop["member"], shop["foreign"].id,
                                           store_id=shop["east"].id, key="counter-mall:foreign-01")
    with pytest.raises(PermissionDenied):
        counter.exchange_and_hand_over(db.session, shop["verifier"], shop["member"], shop["gift"].id,
                                       store_id=shop["east"].id, key="counter-mall:verifier-1")
    assert db.session.get(Merchant, shop["merchant"].id) is not None and total(db, GiftExchange) == 0
