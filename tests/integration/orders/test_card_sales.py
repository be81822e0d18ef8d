"""Cards and coupons sold for money, against PostgreSQL: stock reserved by the order under concurrency, given
back when it closes unpaid, fulfilled once, and per-member limits that count unpaid orders."""
import pytest
from sqlalchemy import func, select

from domain.errors import Conflict, DomainError, NotFound
from domain.orders import Expected
from models import Card, CardTemplate, CouponCode, CouponTemplate, Member, Merchant, Order
from services.cards import benefit_templates, count_timed_templates
from services.orders import card_sales, fulfilment as order_fulfilment, settlement
from services.coupons import templates as coupon_templates
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant, name="王五")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member)


def count_template(db, owner, **overrides):
    values = {"kind": "count", "title": "洗车五次卡", "service_name": "精洗", "uses": 5, "price": 9900, **overrides}
    template = count_timed_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def coupon_template(db, owner, **overrides):
    values = {"kind": "cash", "title": "10 元券", "amount_off": 1000, "validity_mode": "relative", "valid_days": 30,
              "free_claim": False, "price": 500, **overrides}
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def pay(db, merchant, order):
    settlement.record_payment(db.session, merchant, order, amount=order.amount, currency="CNY", app_id="wx",
                          merchant_no="", channel_trade_no=f"T{order.id}", payer="p",
                          expected=Expected(order.amount, "CNY", "wx", ""))


def issued_stock(db, model, template_id):
    db.session.expire_all()
    return db.session.get(model, template_id).stock_issued


def test_do_20_members_at_once_get_exactly_5_orders_for_a_card_with_stock_5(app, db, make, shop):
    template = count_template(db, shop["owner"], stock_total=5)
    member_ids = [make.member(shop["merchant"]).id for _ in range(20)]
    db.session.commit()
    merchant_id, template_id = shop["merchant"].id, template.id

    def buy(session, index):
        merchant = session.get(Merchant, merchant_id)
        return card_sales.create_order(session, merchant, member_ids[index], template_id=template_id,
                                       channel="wechat", key=f"race:{index}").id

    done, refused = run_concurrently(app, 20, buy)

    assert len(done) == 5 and len(refused) == 15
    assert all(isinstance(e, Conflict) for e in refused)
    assert db.session.scalar(select(func.count(Order.id)).where(Order.kind == "count_card")) == 5
    assert issued_stock(db, CardTemplate, template_id) == 5

    # Closing one unpaid order frees its unit for the next buyer.
    first = db.session.get(Order, done[0])
    assert settlement.close_if_unpaid(db.session, first) is True
    assert settlement.close_if_unpaid(db.session, first) is False, "a second close releases nothing"
    db.session.commit()
    assert issued_stock(db, CardTemplate, template_id) == 4
    late = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template_id,
                                   channel="wechat", key="late")
    db.session.commit()
    assert late.state == "created" and issued_stock(db, CardTemplate, template_id) == 5


def test_is_a_paid_order_fulfilled_once_even_when_fulfilled_twice(db, shop):
    template = count_template(db, shop["owner"], stock_total=1)
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    channel="wechat", key="once")
    db.session.commit()
    pay(db, shop["merchant"], order)
    db.session.commit()
    assert order.state == "fulfilled" and issued_stock(db, CardTemplate, template.id) == 1
    again = order_fulfilment.card(db.session, shop["merchant"], order, order.paid_at)
    assert again["card_id"] == order.fulfilment["card_id"]
    with pytest.raises(Conflict):
        settlement.fulfil(db.session, shop["merchant"], order)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Card.id)).where(Card.template_id == template.id)) == 1
    assert issued_stock(db, CardTemplate, template.id) == 1


def test_is_a_paid_order_fulfilled_even_if_the_card_was_stopped_after_it_was_created(db, shop):
    template = count_template(db, shop["owner"], stock_total=1)
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    channel="wechat", key="stopped")
    template.disabled = True
    db.session.commit()
    pay(db, shop["merchant"], order)
    db.session.commit()
    assert order.state == "fulfilled"
    assert db.session.scalar(select(func.count(Card.id)).where(Card.template_id == template.id)) == 1


def test_does_a_coupon_bought_with_quantity_3_give_3_codes(db, shop):
    template = coupon_template(db, shop["owner"], stock_total=3, per_member_limit=3)
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    product="coupon", quantity=3, channel="alipay", key="three")
    db.session.commit()
    assert (order.amount, issued_stock(db, CouponTemplate, template.id)) == (1500, 3)
    pay(db, shop["merchant"], order)
    db.session.commit()
    codes = db.session.scalars(select(CouponCode).where(CouponCode.template_id == template.id)).all()
    assert len(codes) == 3 and {c.channel for c in codes} == {"purchase"}
    assert sorted(order.fulfilment["coupon_code_ids"]) == sorted(c.id for c in codes)
    assert issued_stock(db, CouponTemplate, template.id) == 3
    order_fulfilment.coupons_bought(db.session, shop["merchant"], order, order.paid_at)
    assert db.session.scalar(select(func.count(CouponCode.id)).where(CouponCode.template_id == template.id)) == 3


def test_does_a_closed_coupon_order_give_all_its_units_back(db, shop):
    template = coupon_template(db, shop["owner"], stock_total=10)
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    product="coupon", quantity=4, channel="wechat", key="give-back")
    db.session.commit()
    assert issued_stock(db, CouponTemplate, template.id) == 4
    settlement.close_if_unpaid(db.session, order)
    db.session.commit()
    assert issued_stock(db, CouponTemplate, template.id) == 0


def test_can_concurrent_orders_of_one_member_pass_the_per_member_limit(app, db, shop):
    template = coupon_template(db, shop["owner"], per_member_limit=3)
    merchant_id, member_id, template_id = shop["merchant"].id, shop["member"].id, template.id

    def buy(session, index):
        merchant = session.get(Merchant, merchant_id)
        return card_sales.create_order(session, merchant, member_id, template_id=template_id, product="coupon",
                                       quantity=2, channel="wechat", key=f"limit:{index}").id

    done, refused = run_concurrently(app, 8, buy)
    assert len(done) == 1 and len(refused) == 7
    assert issued_stock(db, CouponTemplate, template_id) == 2


def test_is_a_permanent_benefit_card_sold_once_per_member(db, shop):
    template = benefit_templates.save_template(db.session, shop["owner"], None, title="终身卡", price=19900,
                                               discount_percent=90)
    db.session.commit()
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                    channel="wechat", key="bc-1")
    with pytest.raises(Conflict, match="待支付订单"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                channel="wechat", key="bc-2")
    pay(db, shop["merchant"], order)
    db.session.commit()
    assert order.state == "fulfilled" and issued_stock(db, CardTemplate, template.id) == 1
    with pytest.raises(Conflict, match="长期有效"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                channel="wechat", key="bc-3")


@pytest.mark.parametrize("choice, error", [
    (dict(product="coupon", quantity=0), DomainError), (dict(product="coupon", quantity=11), DomainError),
    (dict(product="coupon", quantity="3"), DomainError), (dict(product="card", quantity=2), DomainError),
    (dict(product="other"), NotFound),
])
def test_are_malformed_choices_refused_before_anything_is_reserved(db, shop, choice, error):
    template = coupon_template(db, shop["owner"])
    with pytest.raises(error):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                channel="wechat", key="bad", **choice)
    db.session.rollback()
    assert issued_stock(db, CouponTemplate, template.id) == 0


def test_is_a_disabled_member_refused(db, shop):
    template = count_template(db, shop["owner"])
    db.session.get(Member, shop["member"].id).status = "disabled"
    db.session.commit()
    with pytest.raises(Conflict, match="已停用"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                channel="wechat", key="off")


def test_is_another_merchants_template_not_found(db, make, shop):
    other = make.merchant()
    theirs = count_template(db, make.staff(other, role="owner"))
    with pytest.raises(NotFound):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=theirs.id,
                                channel="wechat", key="theirs")
    db.session.rollback()
    assert issued_stock(db, CardTemplate, theirs.id) == 0


def test_is_a_key_reused_for_another_template_a_mismatch(db, shop):
    first, second = count_template(db, shop["owner"]), count_template(db, shop["owner"], title="另一张卡")
    order = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=first.id,
                                    channel="wechat", key="same-key")
    again = card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=first.id,
                                    channel="wechat", key="same-key")
    assert again.id == order.id and issued_stock(db, CardTemplate, first.id) == 1
    with pytest.raises(DomainError, match="幂等键"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=second.id,
                                channel="wechat", key="same-key")


def test_is_a_benefit_card_whose_gift_pack_coupon_stopped_not_sold(db, shop):
    pack = coupon_template(db, shop["owner"], free_claim=True, price=None)
    template = benefit_templates.save_template(db.session, shop["owner"], None, title="礼包卡", price=9900,
                                               valid_days=30, gift_pack=[{"template_id": pack.id, "count": 2}])
    pack.active = False
    db.session.commit()
    with pytest.raises(Conflict, match="礼包"):
        card_sales.create_order(db.session, shop["merchant"], shop["member"].id, template_id=template.id,
                                channel="wechat", key="pack")
    db.session.rollback()
    assert issued_stock(db, CardTemplate, template.id) == 0
