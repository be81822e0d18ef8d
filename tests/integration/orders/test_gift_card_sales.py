"""Selling gift cards against PostgreSQL: server prices, mixed lines, refusals, stock reserved under a race and
released on close, fulfilment once, the journal, the bought list with transfers, and the physical-batch cap."""
import pytest
from sqlalchemy import func, select

from domain.errors import Conflict, DomainError, IdempotencyMismatch, NotFound
from domain.orders import Expected
from models import Card, CardTemplate, GiftCardBatch, Merchant, Order, StoredValueSettings
from services.orders import fulfilment as order_fulfilment, gift_card_sales, orders, settlement
from services.cards import gift_batches, gift_spend, gift_templates, gift_transfer
from services.wallet import stored_value
from tests.integration.helpers import run_concurrently
from tests.integration.cards.test_gift_cards import assert_journal_balances


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    buyer, friend = make.member(merchant, name="李雷"), make.member(merchant, name="韩梅梅", mobile="13700000002")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, buyer=buyer, friend=friend)


def template(db, shop, **overrides):
    values = dict(title="新春礼品卡", face_values=[10000, 50000], activation="auto", valid_days=365,
                  themes=[{"label": "春节", "color": "#C0392B"}, {"label": "生日", "color": "#2E86C1"}])
    values.update(overrides)
    stock = values.pop("stock_total", None)
    row = gift_templates.save_template(db.session, shop["owner"], None, **values)
    row.stock_total = stock
    db.session.commit()
    return row


def buy(db, shop, tpl, lines, key="buy:1", member=None, **extra):
    order = gift_card_sales.create_order(db.session, shop["merchant"], (member or shop["buyer"]).id, tpl.id, lines,
                                         key=key, channel="wechat", **extra)
    db.session.commit()
    return order


def pay(db, shop, order):
    settlement.record_payment(db.session, shop["merchant"], order, amount=order.amount, currency="CNY", app_id="wx",
                          merchant_no="", channel_trade_no=f"T{order.id}", payer="o",
                          expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Order, order.id)


def issued(db, tpl):
    db.session.expire_all()
    return db.session.get(CardTemplate, tpl.id).stock_issued


def card_total(db):
    return db.session.scalar(select(func.count(Card.id)))


def test_is_a_mixed_order_priced_on_the_server_from_the_face_values(db, shop):
    tpl = template(db, shop)
    order = buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}, {"face_value": 50000, "quantity": 1}],
                theme="生日")
    assert (order.kind, order.amount, order.state) == ("gift_card", 70000, "created")
    assert order.items == {"template_id": tpl.id, "theme": "生日", "title": "新春礼品卡",
                           "lines": [{"face_value": 10000, "quantity": 2}, {"face_value": 50000, "quantity": 1}]}
    assert issued(db, tpl) == 3 and order.description == "新春礼品卡 礼品卡 3 张"


def test_are_lines_of_the_same_face_value_merged_and_the_theme_defaulted(db, shop):
    amount, items = gift_card_sales.quote(db.session, shop["merchant"], shop["buyer"], template(db, shop).id,
                                          [{"face_value": 10000, "quantity": 1}, {"face_value": 10000, "quantity": 2}])
    assert amount == 30000 and items["lines"] == [{"face_value": 10000, "quantity": 3}] and items["theme"] == "春节"


@pytest.mark.parametrize("lines, message", [
    ([{"face_value": 12345, "quantity": 1}], "请选择礼品卡的面值"),
    ([{"face_value": 10000, "quantity": 11}], "每种面值可购买 1 到 10 张"),
    ([{"face_value": 10000, "quantity": 6}, {"face_value": 10000, "quantity": 5}], "每种面值可购买 1 到 10 张"),
    ([{"face_value": 10000, "quantity": 0}], "每种面值可购买 1 到 10 张"),
    ([{"face_value": 10000, "quantity": -1}], "每种面值可购买 1 到 10 张"),
    ([{"face_value": "10000", "quantity": 1}], "请选择礼品卡的面值"),
    ([{"face_value": 10000, "quantity": True}], "每种面值可购买 1 到 10 张"),
    ([], "请选择要购买的礼品卡"),
    ([{"face_value": 10000, "quantity": 10}, {"face_value": 50000, "quantity": 10},
      {"face_value": 20000, "quantity": 1}], "一次最多购买 20 张礼品卡"),
])
def test_are_bad_lines_refused_with_nothing_created(db, shop, lines, message):
    tpl = template(db, shop, face_values=[10000, 20000, 50000])
    with pytest.raises(DomainError, match=message):
        buy(db, shop, tpl, lines)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 0 and issued(db, tpl) == 0


def test_are_20_cards_in_one_order_allowed(db, shop):
    order = buy(db, shop, template(db, shop), [{"face_value": 10000, "quantity": 10},
                                               {"face_value": 50000, "quantity": 10}])
    assert order.amount == 600000


def test_are_a_delisted_a_disabled_and_another_merchants_template_refused(db, make, shop):
    delisted, disabled = template(db, shop), template(db, shop, disabled=True)
    delisted.listed = False
    other_owner = make.staff(make.merchant(), role="owner")
    foreign = gift_templates.save_template(db.session, other_owner, None, title="别家", face_values=[10000])
    db.session.commit()
    for tpl, error in ((delisted, Conflict), (disabled, Conflict), (foreign, NotFound)):
        with pytest.raises(error):
            buy(db, shop, tpl, [{"face_value": 10000, "quantity": 1}])
        db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert gift_card_sales.on_sale(db.session, shop["merchant"].id) == []


def test_is_an_unknown_theme_refused(db, shop):
    with pytest.raises(DomainError, match="请选择礼品卡的主题"):
        buy(db, shop, template(db, shop), [{"face_value": 10000, "quantity": 1}], theme="中秋")


def test_does_the_same_key_return_the_same_order_and_reserve_once(db, shop):
    tpl = template(db, shop)
    first = buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}])
    again = buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}])
    assert again.id == first.id and issued(db, tpl) == 2
    with pytest.raises(IdempotencyMismatch):
        buy(db, shop, template(db, shop), [{"face_value": 10000, "quantity": 2}])


def test_is_a_purchase_over_the_real_name_threshold_refused_without_a_name(db, make, shop):
    nameless = make.member(shop["merchant"])
    stored_value.settings_of(db.session, shop["merchant"].id).real_name_threshold = 50000
    tpl = template(db, shop)
    with pytest.raises(orders.RealNameRequired):
        buy(db, shop, tpl, [{"face_value": 50000, "quantity": 1}], member=nameless)
    db.session.rollback()
    assert issued(db, tpl) == 0


def test_do_20_concurrent_orders_on_a_stock_of_5_make_5_orders(app, db, shop):
    tpl = template(db, shop, stock_total=5)
    merchant_id, buyer_id, tpl_id = shop["merchant"].id, shop["buyer"].id, tpl.id

    def order(session, i):
        return gift_card_sales.create_order(session, session.get(Merchant, merchant_id), buyer_id, tpl_id,
                                            [{"face_value": 10000, "quantity": 1}], key=f"race:{i}",
                                            channel="wechat").id

    done, refused = run_concurrently(app, 20, order)
    assert len(done) == 5 and len(refused) == 15
    assert all(isinstance(e, Conflict) and "售罄" in e.message for e in refused)
    assert issued(db, tpl) == 5 and db.session.scalar(select(func.count(Order.id))) == 5


def test_does_a_double_tap_of_one_form_make_one_order_and_reserve_once(app, db, shop):
    tpl = template(db, shop)
    merchant_id, buyer_id, tpl_id = shop["merchant"].id, shop["buyer"].id, tpl.id

    def order(session, i):
        return gift_card_sales.create_order(session, session.get(Merchant, merchant_id), buyer_id, tpl_id,
                                            [{"face_value": 10000, "quantity": 2}], key="tap:1", channel="wechat").id

    done, refused = run_concurrently(app, 8, order)
    assert refused == [] and len(set(done)) == 1 and len(done) == 8
    assert issued(db, tpl) == 2 and db.session.scalar(select(func.count(Order.id))) == 1


def test_is_an_order_bigger_than_the_stock_left_refused_with_what_is_left(db, shop):
    tpl = template(db, shop, stock_total=3)
    buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}])
    with pytest.raises(Conflict, match="仅剩 1 张"):
        buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}], key="buy:2")
    db.session.rollback()
    assert issued(db, tpl) == 2


def test_does_closing_an_unpaid_order_give_its_stock_back_once(db, shop):
    tpl = template(db, shop, stock_total=3)
    order = buy(db, shop, tpl, [{"face_value": 10000, "quantity": 3}])
    assert settlement.close_if_unpaid(db.session, order) is True
    assert settlement.close_if_unpaid(db.session, order) is False
    db.session.commit()
    assert issued(db, tpl) == 0
    assert buy(db, shop, tpl, [{"face_value": 10000, "quantity": 3}], key="buy:2").state == "created"


def test_does_payment_issue_every_card_active_all_principal_without_counting_stock_again(db, shop):
    tpl = template(db, shop, stock_total=3)
    order = pay(db, shop, buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2},
                                              {"face_value": 50000, "quantity": 1}], theme="生日"))
    cards = db.session.scalars(select(Card).where(Card.id.in_(order.fulfilment["card_ids"])).order_by(Card.id)).all()
    assert order.state == "fulfilled" and issued(db, tpl) == 3
    assert [(c.face_value, c.state, c.theme, c.member_id, c.price_paid) for c in cards] == [
        (10000, "active", "生日", shop["buyer"].id, 10000), (10000, "active", "生日", shop["buyer"].id, 10000),
        (50000, "active", "生日", shop["buyer"].id, 50000)]
    for card in cards:
        purse = assert_journal_balances(db, card.wallet_id)
        assert (purse.principal, purse.bonus) == (card.face_value, 0)
    assert order.fulfilment["cards"] == [{"id": c.id, "face_value": c.face_value} for c in cards]


def test_does_fulfilling_twice_issue_once(db, shop):
    tpl = template(db, shop)
    order = pay(db, shop, buy(db, shop, tpl, [{"face_value": 10000, "quantity": 2}]))
    again = order_fulfilment.gift_cards_bought(db.session, shop["merchant"], order, None)
    db.session.commit()
    assert again["card_ids"] == order.fulfilment["card_ids"] and card_total(db) == 2
    assert issued(db, tpl) == 2
    for card_id in again["card_ids"]:
        assert assert_journal_balances(db, db.session.get(Card, card_id).wallet_id).balance == 10000


def test_does_the_bought_list_follow_cards_given_away_and_spent(db, make, shop):
    tpl = template(db, shop)
    order = pay(db, shop, buy(db, shop, tpl, [{"face_value": 10000, "quantity": 3}]))
    given, giving, spent = order.fulfilment["card_ids"]
    _transfer, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["buyer"].id, given)
    gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token)
    gift_transfer.create_transfer(db.session, shop["merchant"], shop["buyer"].id, giving)
    store = make.store(shop["merchant"])
    gift_spend.spend(db.session, shop["owner"], spent, store_id=store.id, method="manual", key="sp:1", amount=2500)
    db.session.commit()
    [(listed_order, rows)] = gift_card_sales.bought(db.session, shop["merchant"].id, shop["buyer"].id)
    assert listed_order.id == order.id
    assert [(r.card.id, r.status, r.label) for r in rows] == [
        (given, "given", "已转赠"), (giving, "giving", "转赠中"), (spent, "in_use", "使用中")]
    assert rows[0].given_to.id == shop["friend"].id and rows[0].given_at is not None
    assert gift_card_sales.masked(rows[0].given_to) == "韩**" and rows[2].balance == 7500
    assert gift_card_sales.bought(db.session, shop["merchant"].id, shop["friend"].id) == []


def test_is_a_physical_batch_above_the_anonymous_cap_refused(db, shop):
    tpl = template(db, shop, face_values=[100000, 100001])
    with pytest.raises(DomainError, match="不记名实体礼品卡的面值不能超过 1000 元"):
        gift_batches.create_batch(db.session, shop["owner"], tpl.id, 100001, 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count(GiftCardBatch.id))) == 0
    gift_batches.create_batch(db.session, shop["owner"], tpl.id, 100000, 1)  # the cap itself is allowed
    db.session.add(StoredValueSettings(merchant_id=shop["merchant"].id, enabled=False, allow_custom_amount=False,
                                       nudge_mode="off", **{**stored_value.rules.DEFAULTS,
                                                            "anonymous_max_face": 50000}))
    db.session.flush()
    with pytest.raises(DomainError, match="不能超过 500 元"):
        gift_batches.create_batch(db.session, shop["owner"], tpl.id, 100000, 1)


def test_is_a_paid_order_still_fulfilled_after_the_merchant_disabled_the_template_and_dropped_the_face_value(db, shop):
    tpl = template(db, shop)
    order = buy(db, shop, tpl, [{"face_value": 50000, "quantity": 1}], key="buy:then-edit")
    tpl.disabled, tpl.face_values = True, [10000]
    db.session.commit()
    paid = pay(db, shop, order)
    assert paid.state == "fulfilled" and card_total(db) == 1
    assert db.session.scalars(select(Card)).one().face_value == 50000
