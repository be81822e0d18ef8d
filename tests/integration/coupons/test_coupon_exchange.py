"""Points exchange against PostgreSQL: level prices, too few points, and concurrent exchanges never overspend."""
import pytest
from sqlalchemy import func, select

from domain.errors import Conflict, DomainError, InsufficientPoints
from models import CouponCode, CouponTemplate, Member, Merchant, PointsTransaction
from services.coupons import exchange as coupon_exchange, templates as coupon_templates
from services.points import ledger as points
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    return dict(merchant=merchant, owner=owner, member=member)


def points_template(db, shop, prices, **overrides):
    values = dict(kind="gift", title="拿铁兑换券", gift_item="拿铁一杯", validity_mode="relative", valid_days=30,
                  free_claim=False, points_prices=prices)
    values.update(overrides)
    return coupon_templates.save_template(db.session, shop["owner"], None, **values)


def test_does_an_exchange_take_the_level_price_and_issue_one_code(db, shop):
    member = shop["member"]
    template = points_template(db, shop, {member.level_id: 300})
    points.earn(db.session, shop["merchant"], member.id, 1000, key="earn:1")
    code = coupon_exchange.exchange(db.session, shop["merchant"], template.id, member.id, key="ex:1")
    assert code.channel == "points_exchange" and code.member_id == member.id
    assert db.session.get(Member, member.id).points_balance == 700
    spent = db.session.scalars(select(PointsTransaction).where(PointsTransaction.amount < 0)).one()
    assert (spent.amount, spent.reference_type, spent.reference_id) == (-300, "coupon_code", str(code.id))


def test_does_a_retry_with_the_same_key_replay_without_spending_again(db, shop):
    member = shop["member"]
    template = points_template(db, shop, {member.level_id: 300})
    points.earn(db.session, shop["merchant"], member.id, 400, key="earn:1")
    first = coupon_exchange.exchange(db.session, shop["merchant"], template.id, member.id, key="ex:1")
    again = coupon_exchange.exchange(db.session, shop["merchant"], template.id, member.id, key="ex:1")
    assert first.id == again.id and db.session.get(Member, member.id).points_balance == 100


def test_are_too_few_points_refused_with_the_price(db, shop):
    member = shop["member"]
    template = points_template(db, shop, {member.level_id: 300})
    points.earn(db.session, shop["merchant"], member.id, 299, key="earn:1")
    with pytest.raises(InsufficientPoints, match="积分不足，需要 300 积分"):
        coupon_exchange.exchange(db.session, shop["merchant"], template.id, member.id, key="ex:1")
    assert db.session.scalar(select(func.count(CouponCode.id))) == 0


@pytest.mark.parametrize("price", [0, None])
def test_is_a_level_priced_at_zero_or_missing_refused(db, shop, price):
    member = shop["member"]
    template = points_template(db, shop, {member.level_id: price} if price is not None else {})
    points.earn(db.session, shop["merchant"], member.id, 1000, key="earn:1")
    with pytest.raises(DomainError, match="您的等级不能兑换该券"):
        coupon_exchange.exchange(db.session, shop["merchant"], template.id, member.id, key="ex:1")


def test_are_zero_prices_dropped_and_bad_prices_or_foreign_levels_refused(db, make, shop):
    level_id = shop["member"].level_id
    template = points_template(db, shop, {level_id: 0, str(level_id + 1): 50})
    assert template.points_prices == {str(level_id + 1): 50}
    with pytest.raises(DomainError, match="兑换积分须为正整数"):
        points_template(db, shop, {level_id: -5})
    other = make.merchant()
    foreign_level = make.member(other).level_id
    with pytest.raises(DomainError):
        points_template(db, shop, {foreign_level: 10})


def test_do_concurrent_exchanges_never_overspend_points(app, db, shop):
    member = shop["member"]
    template = points_template(db, shop, {member.level_id: 100})
    points.earn(db.session, shop["merchant"], member.id, 500, key="earn:1")
    db.session.commit()
    merchant_id, template_id, member_id = shop["merchant"].id, template.id, member.id

    def swap(session, index):
        merchant = session.get(Merchant, merchant_id)
        return coupon_exchange.exchange(session, merchant, template_id, member_id, key=f"ex:{index}").id

    done, refused = run_concurrently(app, 12, swap)

    assert len(done) == 5 and len(refused) == 7
    assert all(e.message == "积分不足，需要 100 积分" for e in refused)
    db.session.expire_all()
    assert db.session.get(Member, member_id).points_balance == 0
    assert db.session.scalar(select(func.count(CouponCode.id))) == 5


def test_do_concurrent_exchanges_never_overspend_stock(app, db, make, shop):
    template = points_template(db, shop, {shop["member"].level_id: 10}, stock_total=3)
    people = [make.member(shop["merchant"]) for _ in range(10)]
    for person in people:
        points.earn(db.session, shop["merchant"], person.id, 10, key=f"earn:{person.id}")
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id
    ids = [person.id for person in people]

    def swap(session, index):
        merchant = session.get(Merchant, merchant_id)
        return coupon_exchange.exchange(session, merchant, template_id, ids[index], key=f"ex:{index}").id

    done, refused = run_concurrently(app, 10, swap)

    assert len(done) == 3 and all(isinstance(e, Conflict) and e.message == "券已领完" for e in refused)
    db.session.expire_all()
    assert db.session.get(CouponTemplate, template_id).stock_issued == 3
    balances = sorted(db.session.get(Member, i).points_balance for i in ids)
    assert balances == [0] * 3 + [10] * 7, "a refused exchange keeps its points"
