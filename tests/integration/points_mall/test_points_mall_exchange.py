"""The points mall against PostgreSQL: the last gifts under a crowd, the per-member limit under concurrency, the
level price 0 refusal, cancelling with points back, handing over through the verification interface, tenant
isolation and bad input."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import points_mall as rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, InsufficientPoints, NotFound
from models import GiftExchange, Member, Merchant, PointsGift, PointsTransaction, Verification
from services.members.levels import list_levels
from services.points import ledger as points
from services.points_mall import exchanges, gifts
from services.verification import instruments
from tests.integration.helpers import run_concurrently


def shop(db, make, stock=10, price=100, limit=0, silver_price=None):
    merchant = make.merchant()
    owner = make.staff(merchant)
    levels = list_levels(db.session, merchant.id)
    prices = {str(level.id): price for level in levels}
    if silver_price is not None:
        prices[str(next(level.id for level in levels if level.name == "银卡"))] = silver_price
    gift = gifts.save(db.session, owner, None, gifts.GiftValues(number="G001", name="保温杯", stock=stock,
                                                                     prices=prices, per_member_limit=limit))
    return merchant, owner, gift, levels


def member_with_points(db, make, merchant, amount):
    member = make.member(merchant)
    if amount:
        points.earn(db.session, merchant, member.id, amount, key=f"seed:{member.id}")
    return member


def balance(db, member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).points_balance


def test_do_fifty_members_racing_for_the_last_ten_gifts_get_exactly_ten(app, db, make):
    merchant, _owner, gift, _ = shop(db, make, stock=10, price=100)
    crowd = [member_with_points(db, make, merchant, 150).id for _ in range(50)]
    db.session.commit()
    merchant_id, gift_id = merchant.id, gift.id

    def exchange(session, index):
        return exchanges.exchange(session, session.get(Merchant, merchant_id), gift_id, crowd[index],
                                  key=f"ex:{index}").id

    done, refused = run_concurrently(app, 50, exchange)

    assert len(done) == 10 and len(refused) == 40
    assert all(isinstance(e, Conflict) and "兑完" in str(e) for e in refused)
    db.session.expire_all()
    assert db.session.get(PointsGift, gift_id).stock == 0 and db.session.get(PointsGift, gift_id).exchanged == 10
    holders = set(db.session.scalars(select(GiftExchange.member_id).where(GiftExchange.gift_id == gift_id)))
    assert len(holders) == 10
    for member_id in crowd:  # nobody lost points without a gift
        assert balance(db, member_id) == (50 if member_id in holders else 150)


def test_do_one_member_racing_past_the_per_member_limit_gets_only_the_limit(app, db, make):
    merchant, _owner, gift, _ = shop(db, make, stock=100, price=10, limit=2)
    member = member_with_points(db, make, merchant, 1000)
    db.session.commit()
    merchant_id, gift_id, member_id = merchant.id, gift.id, member.id

    def exchange(session, index):
        return exchanges.exchange(session, session.get(Merchant, merchant_id), gift_id, member_id,
                                  key=f"lim:{index}").id

    done, refused = run_concurrently(app, 12, exchange)

    assert len(done) == 2 and len(refused) == 10
    assert all("每人限兑 2 件" in str(e) for e in refused)
    assert balance(db, member_id) == 980
    assert db.session.get(PointsGift, gift_id).stock == 98


def test_does_a_level_priced_zero_refuse_naming_the_level(db, make):
    merchant, _owner, gift, levels = shop(db, make, silver_price=0)
    silver = next(level for level in levels if level.name == "银卡")
    member = member_with_points(db, make, merchant, 500)
    member.level_id = silver.id
    db.session.flush()
    with pytest.raises(Conflict, match="^银卡会员不可兑换该礼品$"):
        exchanges.exchange(db.session, merchant, gift.id, member.id, key="silver")
    assert balance(db, member.id) == 500 and db.session.get(PointsGift, gift.id).stock == 10


def test_do_too_few_points_refuse_without_taking_stock(db, make):
    merchant, _owner, gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 99)
    db.session.commit()
    with pytest.raises(InsufficientPoints):
        exchanges.exchange(db.session, merchant, gift.id, member.id, key="poor")
    db.session.rollback()
    assert db.session.get(PointsGift, gift.id).stock == 10


def test_does_a_retry_with_the_same_key_replay_and_spend_once(db, make):
    merchant, _owner, gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 300)
    first = exchanges.exchange(db.session, merchant, gift.id, member.id, key="same")
    again = exchanges.exchange(db.session, merchant, gift.id, member.id, key="same")
    assert first.id == again.id and balance(db, member.id) == 200
    assert len(first.pickup_code) == rules.PICKUP_CODE_LENGTH == 16  # 80 bits


def test_does_cancelling_return_the_points_and_the_stock_once(db, make):
    merchant, _owner, gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 300)
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="c1")
    exchanges.cancel(db.session, merchant, row.id, by_member_id=member.id)
    assert row.state == rules.CANCELLED and balance(db, member.id) == 300
    assert db.session.get(PointsGift, gift.id).stock == 10
    with pytest.raises(Conflict, match="已取消"):
        exchanges.cancel(db.session, merchant, row.id, by_member_id=member.id)
    assert balance(db, member.id) == 300
    credits = db.session.scalars(select(PointsTransaction).where(PointsTransaction.member_id == member.id,
                                                                 PointsTransaction.kind == "reverse")).all()
    assert len(credits) == 1 and credits[0].idempotency_key == f"gift_exchange:{row.id}:returned"


def test_does_staff_hand_over_by_the_pickup_code_on_the_verify_interface(db, make):
    merchant, owner, gift, _ = shop(db, make, price=100)
    store = make.store(merchant)
    member = member_with_points(db, make, merchant, 300)
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="h1")
    found = instruments.lookup(db.session, merchant.id, row.pickup_code.lower(), store.id)
    assert found.kind == "gift_exchange" and found.usable and found.title == "保温杯"
    record = instruments.verify(db.session, owner, row.pickup_code, store_id=store.id, method="scan", key="v1")
    db.session.expire_all()
    row = db.session.get(GiftExchange, row.id)
    assert row.state == rules.HANDED_OVER and row.store_id == store.id and row.verification_id == record.id
    assert record.instrument_type == "gift_exchange" and record.store_id == store.id
    with pytest.raises(Conflict, match="已领取"):
        instruments.verify(db.session, owner, row.pickup_code, store_id=store.id, method="scan", key="v2")
    with pytest.raises(Conflict, match="已领取"):
        exchanges.cancel(db.session, merchant, row.id, staff=owner)
    instruments.undo(db.session, owner, record.id)
    assert db.session.get(GiftExchange, row.id).state == rules.PENDING
    exchanges.cancel(db.session, merchant, row.id, staff=owner)
    assert balance(db, member.id) == 300


def test_do_expired_unclaimed_exchanges_return_points(db, make):
    merchant, _owner, gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 300)
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="e1")
    assert exchanges.expire_due(db.session, merchant, now=now_utc() + timedelta(days=31)) == 1
    assert db.session.get(GiftExchange, row.id).state == rules.EXPIRED and balance(db, member.id) == 300


def test_is_another_merchants_gift_or_exchange_refused_and_unchanged(db, make):
    merchant, owner, gift, _ = shop(db, make, price=100)
    other, other_owner, other_gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 300)
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="t1")
    with pytest.raises(NotFound):
        exchanges.exchange(db.session, merchant, other_gift.id, member.id, key="t2")
    with pytest.raises(NotFound):
        exchanges.cancel(db.session, other, row.id, staff=other_owner)
    with pytest.raises(NotFound):
        instruments.lookup(db.session, other.id, row.pickup_code, None)
    with pytest.raises(NotFound):
        gifts.save(db.session, other_owner, gift.id, gifts.GiftValues(number="X", name="X", stock=1, prices={}))
    assert db.session.get(GiftExchange, row.id).state == rules.PENDING
    assert db.session.get(PointsGift, other_gift.id).stock == 10


@pytest.mark.parametrize("values, message", [
    (dict(number="", name="杯", stock=1), "请填写编号"),
    (dict(number="A\x00", name="杯", stock=1), "编号不能超过"),
    (dict(number="A" * 21, name="杯", stock=1), "编号不能超过"),
    (dict(number="A", name="杯", stock=-1), "库存须在"),
    (dict(number="A", name="杯", stock=10**12), "库存须在"),
    (dict(number="A", name="杯", stock=1, per_member_limit=10**9), "每人限兑须在"),
])
def test_is_bad_gift_input_refused_in_chinese(db, make, values, message):
    merchant, owner, _gift, levels = shop(db, make)
    prices = {str(level.id): 5 for level in levels}
    with pytest.raises(DomainError, match=message):
        gifts.save(db.session, owner, None, gifts.GiftValues(prices=prices, **values))
    with pytest.raises(DomainError, match="兑换积分须在"):
        gifts.save(db.session, owner, None, gifts.GiftValues(number="B", name="杯", stock=1,
                                                             prices={str(levels[0].id): 10**13}))
    with pytest.raises(DomainError, match="至少为一个等级"):
        gifts.save(db.session, owner, None, gifts.GiftValues(number="B", name="杯", stock=1, prices={}))
    with pytest.raises(DomainError, match="JPG 或 PNG"):
        gifts.save(db.session, owner, None, gifts.GiftValues(number="B", name="杯", stock=1, prices=prices),
                   photo=b"GIF89a....", upload_root="/tmp")
    assert db.session.scalar(select(func.count()).select_from(PointsGift)
                             .where(PointsGift.merchant_id == merchant.id)) == 1


def test_are_forged_exchange_ids_and_keys_refused(db, make):
    merchant, _owner, gift, _ = shop(db, make)
    member = member_with_points(db, make, merchant, 300)
    with pytest.raises(NotFound):
        exchanges.exchange(db.session, merchant, "1; drop", member.id, key="f1")
    with pytest.raises(NotFound):
        exchanges.exchange(db.session, merchant, 10**20, member.id, key="f2")
    with pytest.raises(DomainError):
        exchanges.exchange(db.session, merchant, gift.id, member.id, key="k" * 500)
    assert balance(db, member.id) == 300


def test_does_the_points_expiry_job_expire_unclaimed_gifts_once(db, make):
    from jobs import points as point_jobs
    from jobs.dispatch import execute

    merchant, _owner, gift, _ = shop(db, make, price=100)
    member = member_with_points(db, make, merchant, 300)
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="job1",
                             now=now_utc() - timedelta(days=31))
    db.session.commit()
    execute(point_jobs.expire_points_for_merchant.job_name, merchant.id)
    execute(point_jobs.expire_points_for_merchant.job_name, merchant.id)  # a rerun changes nothing
    assert db.session.get(GiftExchange, row.id).state == rules.EXPIRED and balance(db, member.id) == 300
    assert db.session.get(PointsGift, gift.id).stock == 10
