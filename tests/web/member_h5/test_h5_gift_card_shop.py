"""Member H5 gift-card shop: 礼品卡中心, buying one or several cards at the server's price, refusals that change
nothing, the order page before and after payment, 我购买的礼品卡 with transfers, and the physical-batch cap."""
import re

import pytest
import requests
from sqlalchemy import select

from domain import roles
from domain.orders import Expected
from member_h5 import pay_start
from models import Card, CardTemplate, GiftCardBatch, Order
from services.orders import gift_card_sales, settlement
from services.cards import gift_templates, gift_transfer
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import sign_in
from tests.web.member_h5.test_wechat_pay_flow import cashier_url

shop = test_h5_support.shop  # the fixture
owner = test_h5_support.shop_owner  # the fixture
started = test_h5_support.started  # the fixture
BUYER_OPENID = "o-giftshop-member-00000000000001"
FRIEND_OPENID = "o-giftshop-member-00000000000002"


@pytest.fixture()
def buyer(make, shop):
    return wechat_member(make, shop, BUYER_OPENID, mobile="13700000001", name="李雷")


@pytest.fixture()
def friend(make, shop):
    return wechat_member(make, shop, FRIEND_OPENID, mobile="13700000002", name="韩梅梅")


@pytest.fixture()
def phone(client, shop, buyer):
    return wechat_phone(client, shop, BUYER_OPENID)


def template(db, owner, **values):
    values = {"title": "新春礼品卡", "face_values": [10000, 50000], "activation": "auto",
              "themes": [{"label": "春节", "color": "#C0392B"}, {"label": "生日", "color": "#2E86C1"}], **values}
    row = gift_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return row


def url(shop, path=""):
    return f"/h5/{shop.slug}/gift-cards/{path}"


def form_key(html):
    return re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)


def post_lines(phone, shop, tpl, pairs, key=None, **extra):
    """POST the buy form with (face_value, quantity) pairs as the page sends them."""
    key = key or form_key(text_of(phone.get(url(shop, f"shop/{tpl.id}"))))
    data = {"key": key, "face_value": [str(v) for v, _ in pairs], "quantity": [str(q) for _, q in pairs], **extra}
    return phone.post(url(shop, f"shop/{tpl.id}"), data=data)


def pay(db, shop, order):
    settlement.record_payment(db.session, shop, order, amount=order.amount, currency="CNY", app_id="wx", merchant_no="",
                          channel_trade_no=f"T{order.id}", payer=BUYER_OPENID,
                          expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()
    return fresh(order)


def the_order(db, member):
    return db.session.scalars(select(Order).where(Order.member_id == member.id)).one()


def test_does_the_shop_list_the_templates_on_sale_with_their_themes_and_face_values(db, shop, owner, phone):
    on_sale, hidden = template(db, owner), template(db, owner, title="下架的卡")
    hidden.listed = False
    db.session.commit()
    page = text_of(phone.get(url(shop, "shop")))
    assert "礼品卡中心" in page and f'data-template-id="{on_sale.id}"' in page
    assert "¥100.00 / ¥500.00" in page and "春节" in page and "#2E86C1" in page and "下架的卡" not in page
    assert 'id="shop-link"' in text_of(phone.get(url(shop))) and 'id="bought-link"' in text_of(phone.get(url(shop)))


def test_does_the_buy_page_show_the_total_and_that_cards_are_not_refundable(db, shop, owner, phone):
    page = text_of(phone.get(url(shop, f"shop/{template(db, owner).id}")))
    assert "礼品卡一经售出，不可退款" in page and "合计" in page and "¥100.00" in page
    assert page.count('name="face_value"') == 2 and "确认支付（微信支付）" in page


def test_is_the_price_the_servers_whatever_is_posted(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    response = post_lines(phone, shop, tpl, [(10000, 1)], amount="0.01", price="1", unit_price="1")
    order = the_order(db, buyer)
    assert response.status_code == 200 and started == [order.id]
    assert (order.kind, order.amount, order.state, order.channel) == ("gift_card", 10000, "created", "wechat")


def test_can_a_member_buy_mixed_face_values_in_one_order(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    post_lines(phone, shop, tpl, [(10000, 2), (50000, 1)], theme="生日")
    order = the_order(db, buyer)
    assert order.amount == 70000 and order.items["theme"] == "生日"
    assert order.items["lines"] == [{"face_value": 10000, "quantity": 2}, {"face_value": 50000, "quantity": 1}]
    assert fresh(tpl).stock_issued == 3


def test_does_sending_the_same_form_twice_make_one_order(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    key = form_key(text_of(phone.get(url(shop, f"shop/{tpl.id}"))))
    post_lines(phone, shop, tpl, [(10000, 1)], key=key)
    post_lines(phone, shop, tpl, [(10000, 1)], key=key)
    assert count(Order, Order.member_id == buyer.id) == 1 and fresh(tpl).stock_issued == 1


@pytest.mark.parametrize("pairs, message", [
    ([(12345, 1)], "请选择礼品卡的面值"),
    ([(10000, 11)], "每种面值可购买 1 到 10 张"),
    ([(10000, 10), (50000, 10), (10000, 1)], "每种面值可购买 1 到 10 张"),
    ([(10000, 0), (50000, 0)], "请选择要购买的礼品卡"),
    ([("abc", 1)], "请选择面值和数量"),
    ([(10000, "-1")], "请选择面值和数量"),
    ([(10000, "１")], "请选择面值和数量"),
    ([("9" * 5000, 1)], "请选择面值和数量"),
])
def test_are_forged_lines_refused_with_nothing_created(db, shop, owner, buyer, phone, started, pairs, message):
    tpl = template(db, owner)
    response = post_lines(phone, shop, tpl, pairs)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/gift-cards/shop/{tpl.id}")
    assert message in text_of(phone.get(response.headers["Location"]))
    assert count(Order, Order.member_id == buyer.id) == 0 and fresh(tpl).stock_issued == 0 and started == []


def test_is_a_forged_theme_refused(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    response = post_lines(phone, shop, tpl, [(10000, 1)], theme="中秋")
    assert "请选择礼品卡的主题" in text_of(phone.get(response.headers["Location"]))
    assert count(Order, Order.member_id == buyer.id) == 0


def test_are_a_delisted_and_a_sold_out_template_refused(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    key = form_key(text_of(phone.get(url(shop, f"shop/{tpl.id}"))))
    tpl.listed = False
    db.session.commit()
    response = post_lines(phone, shop, tpl, [(10000, 1)], key=key)
    assert "该礼品卡已下架" in text_of(phone.get(response.headers["Location"], follow_redirects=True))
    assert phone.get(url(shop, f"shop/{tpl.id}")).headers["Location"].endswith("/gift-cards/shop")
    sold_out = template(db, owner, title="限量卡")
    sold_out.stock_total, sold_out.stock_issued = 1, 1
    db.session.commit()
    assert "礼品卡已售罄" in text_of(phone.get(url(shop, f"shop/{sold_out.id}")))
    response = post_lines(phone, shop, sold_out, [(10000, 1)], key="gift:forged:1")
    assert "礼品卡已售罄" in text_of(phone.get(response.headers["Location"]))
    assert count(Order, Order.member_id == buyer.id) == 0


def test_is_another_merchants_template_not_found(db, make, shop, owner, buyer, phone, started):
    other = make.staff(make.merchant(), role=roles.OWNER)
    foreign = gift_templates.save_template(db.session, other, None, title="别家", face_values=[10000])
    db.session.commit()
    assert phone.get(url(shop, f"shop/{foreign.id}")).status_code == 404
    assert post_lines(phone, shop, foreign, [(10000, 1)], key="gift:x:1").status_code == 404
    assert phone.get(url(shop, "shop/99999999999999999999")).status_code == 404
    assert count(Order, Order.member_id == buyer.id) == 0


def test_does_the_order_page_show_the_cards_before_and_after_payment(db, shop, owner, buyer, phone, started):
    tpl = template(db, owner)
    post_lines(phone, shop, tpl, [(10000, 2), (50000, 1)])
    order = the_order(db, buyer)
    before = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}?n=5"))
    assert "支付后发放" in before and "× 2" in before and "礼品卡一经售出，不可退款" in before
    order = pay(db, shop, order)
    after = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "已发放至「我的礼品卡」" in after
    for card_id in order.fulfilment["card_ids"]:
        assert f"/gift-cards/{card_id}" in after
    mine = text_of(phone.get(url(shop)))
    assert mine.count("已激活") == 3 and "¥500.00" in mine


def test_does_the_bought_page_show_a_transferred_card_as_given_and_hide_it_from_others(
        db, client, shop, owner, buyer, friend, phone, started):
    tpl = template(db, owner)
    post_lines(phone, shop, tpl, [(10000, 2)])
    order = pay(db, shop, the_order(db, buyer))
    given, kept = order.fulfilment["card_ids"]
    _transfer, token = gift_transfer.create_transfer(db.session, shop, buyer.id, given)
    gift_transfer.accept_transfer(db.session, shop, friend.id, token)
    db.session.commit()
    page = text_of(phone.get(url(shop, "bought")))
    assert f'data-card-id="{given}" data-status="given"' in page and "已转赠给 韩**" in page
    assert f'data-card-id="{kept}" data-status="unused"' in page and "未使用" in page
    assert order.out_trade_no in page
    sign_in(client, shop, "wechat", FRIEND_OPENID)
    theirs = text_of(client.get(url(shop, "bought")))
    assert "还没有购买过礼品卡" in theirs and order.out_trade_no not in theirs
    assert client.get(url(shop, f"{kept}")).status_code == 404


def test_does_the_back_office_refuse_a_physical_batch_above_the_anonymous_cap(db, login, shop, owner):
    tpl = template(db, owner, face_values=[100000, 200000])
    browser = login(owner)
    response = browser.post(f"/backoffice/gift-cards/{tpl.id}/batches",
                            data={"face_value": "200000", "theme": "春节", "quantity": "10"})
    assert response.status_code == 400 and "不记名实体礼品卡的面值不能超过 1000 元" in text_of(response)
    assert count(GiftCardBatch, GiftCardBatch.template_id == tpl.id) == 0
    assert count(Card, Card.template_id == tpl.id) == 0
    ok = browser.post(f"/backoffice/gift-cards/{tpl.id}/batches",
                      data={"face_value": "100000", "theme": "春节", "quantity": "1"})
    assert ok.status_code == 302 and count(CardTemplate, CardTemplate.id == tpl.id) == 1


def test_does_paying_through_the_sandbox_cashier_issue_the_cards(app, db, monkeypatch, live_server, shop, owner,
                                                                 buyer):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))  # one notification, within the test's tables
    tpl = template(db, owner)
    order = gift_card_sales.create_order(db.session, shop, buyer.id, tpl.id, [{"face_value": 10000, "quantity": 2}],
                                         key="gift:sandbox:1", channel="wechat")
    db.session.commit()
    with app.test_request_context("/", base_url=live_server):
        page = pay_start.start(shop, order)
    cashier = requests.get(cashier_url(page, live_server), timeout=30)
    assert "¥200.00" in cashier.text
    paid = requests.post(cashier.url, data={"action": "pay", "tamper": "", "return": "/h5/back"}, timeout=30)
    assert "支付成功" in paid.text
    order = fresh(order)
    assert order.state == "fulfilled" and len(order.fulfilment["card_ids"]) == 2
    states = db.session.scalars(select(Card.state).where(Card.id.in_(order.fulfilment["card_ids"]))).all()
    assert states == ["active", "active"] and fresh(tpl).stock_issued == 2
