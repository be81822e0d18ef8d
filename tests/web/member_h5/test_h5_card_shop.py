"""Member H5 card shop: count, timed and benefit cards and coupons bought for money, priced on the server."""
import html
import re

import pytest
import requests
from sqlalchemy import select

from domain import roles
from domain.orders import Expected
from member_h5 import pay_start
from models import Card, CouponCode, Order
from services.cards import benefit_templates, count_timed_issue, count_timed_templates
from services.orders import card_sales, settlement
from services.coupons import templates as coupon_templates
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
owner = test_h5_support.shop_owner  # the fixture
started = test_h5_support.started  # the fixture
OPENID = "o-card-shop-member-000000000001"
OTHER_OPENID = "o-card-shop-member-000000000002"
MONTH = {"key": "month", "label": "月卡", "days": 30, "price": 9900}
QUARTER = {"key": "quarter", "label": "季卡", "days": 90, "price": 26900}


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13500000001", name="韩梅梅")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


def count_card(db, owner, **overrides):
    values = {"kind": "count", "title": "洗车十次卡", "service_name": "精洗", "uses": 10, "price": 19900, **overrides}
    template = count_timed_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def timed_card(db, owner, **overrides):
    values = dict(kind="timed", title="健身卡", tiers=[MONTH, QUARTER], start_mode="first_use", daily_limit=2,
                  **overrides)
    template = count_timed_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def coupon(db, owner, **overrides):
    values = dict(kind="cash", title="20 元代金券", amount_off=2000, validity_mode="relative", valid_days=30,
                  free_claim=False, price=990, **overrides)
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def form_key(page):
    return re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)


def pay(db, shop, order):
    """The channel's notification, as payments/ would pass it on."""
    settlement.record_payment(db.session, shop, order, amount=order.amount, currency="CNY", app_id="wx", merchant_no="",
                          channel_trade_no=f"T{order.id}", payer=OPENID,
                          expected=Expected(order.amount, "CNY", "wx", ""))
    db.session.commit()


def the_order(db, member):
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.member_id == member.id)).one()


def test_does_the_shop_list_each_kind_with_its_price(db, shop, owner, phone):
    count_card(db, owner)
    timed_card(db, owner)
    benefit_templates.save_template(db.session, owner, None, title="黄金权益卡", price=29900, valid_days=365,
                                    discount_percent=90)
    benefit_templates.save_template(db.session, owner, None, title="免费权益卡", price=None, discount_percent=95)
    coupon(db, owner)
    coupon_templates.save_template(db.session, owner, None, kind="cash", title="免费券", amount_off=500,
                                   validity_mode="relative", valid_days=7)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/shop"))
    assert "购买卡券" in page and all(label in page for label in ("次卡", "时长卡", "权益卡", "优惠券"))
    assert "洗车十次卡" in page and "¥199.00" in page
    assert "健身卡" in page and "¥99.00 起" in page
    assert "黄金权益卡" in page and "¥299.00" in page and "免费权益卡" not in page
    assert "20 元代金券" in page and "¥9.90" in page and "免费券" not in page


def test_do_the_member_pages_link_to_the_shop(db, shop, owner, phone):
    tpl = coupon(db, owner)
    card = benefit_templates.save_template(db.session, owner, None, title="黄金权益卡", price=29900, discount_percent=90)
    db.session.commit()
    assert f"/h5/{shop.slug}/shop" in text_of(phone.get(f"/h5/{shop.slug}/cards/"))
    wallet = text_of(phone.get(f"/h5/{shop.slug}/coupons/"))
    assert f"/h5/{shop.slug}/shop/coupon/{tpl.id}" in wallet and "即将开放" not in wallet
    assert f"/h5/{shop.slug}/shop/card/{card.id}" in text_of(phone.get(f"/h5/{shop.slug}/benefit-cards/{card.id}"))


def test_does_the_timed_card_page_show_its_tiers_and_terms(db, shop, owner, phone):
    template = timed_card(db, owner, notes="请携带毛巾")
    page = text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}"))
    assert "月卡 ¥99.00" in page and "季卡 ¥269.00" in page and "90 天" in page
    assert "每日限用：2 次" in page and "首次使用时开始" in page and "全部门店" in page
    assert "请携带毛巾" in page and "退款" in page and "立即购买（微信支付）" in page


def test_is_the_order_priced_on_the_server_whatever_the_browser_posts(db, shop, owner, member, phone, started):
    template = timed_card(db, owner)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}")))
    response = phone.post(f"/h5/{shop.slug}/shop/card/{template.id}",
                          data={"key": key, "tier_key": "quarter", "price": "0.01", "amount": "1"})
    assert response.status_code == 200, text_of(response)
    order = the_order(db, member)
    assert started == [order.id] and text_of(response) == f"pay {order.out_trade_no}"
    assert (order.kind, order.amount, order.state) == ("timed_card", 26900, "created")
    assert order.items == {"template_id": template.id, "tier_key": "quarter", "quantity": 1, "unit_price": 26900,
                           "title": "健身卡（季卡）"}
    again = phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": key, "tier_key": "quarter"})
    assert again.status_code == 200 and count(Order, Order.member_id == member.id) == 1
    assert fresh(template).stock_issued == 1


@pytest.mark.parametrize("form", [{"tier_key": "year"}, {"tier_key": "month", "quantity": "2"},
                                  {"tier_key": "month", "quantity": "abc"}])
def test_are_bad_choices_refused_with_nothing_changed(db, shop, owner, member, phone, started, form):
    template = timed_card(db, owner, stock_total=5)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}")))
    response = phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": key, **form},
                          follow_redirects=True)
    assert response.status_code == 200 and response.request.path == f"/h5/{shop.slug}/shop/card/{template.id}"
    assert any(text in text_of(response) for text in ("请选择时长档位", "每次购买 1 张卡", "请填写正确的购买数量"))
    assert count(Order) == 0 and started == [] and fresh(template).stock_issued == 0


def test_are_free_stopped_and_sold_out_cards_refused(db, shop, owner, member, phone, started):
    free = benefit_templates.save_template(db.session, owner, None, title="免费权益卡", price=None, discount_percent=95)
    stopped = count_card(db, owner, disabled=True)
    sold = count_card(db, owner, stock_total=1)
    db.session.commit()
    count_timed_issue.issue(db.session, shop, sold.id, member.id, channel="staff", key="given-1")
    db.session.commit()
    for template, reason in ((free, "可免费领取"), (stopped, "已停止发放"), (sold, "已售罄")):
        page = text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}"))
        assert reason in page and "buy-form" not in page
        response = phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": f"k-{template.id}"},
                              follow_redirects=True)
        assert reason in text_of(response)
    assert count(Order) == 0 and started == []


def test_is_another_merchants_template_a_404(db, make, shop, owner, member, phone, started):
    other = make.merchant(name="别家")
    other_owner = make.staff(other, role=roles.OWNER)
    theirs = count_timed_templates.save_template(db.session, other_owner, None, kind="count", title="别家次卡",
                                                 service_name="洗", uses=5, price=100)
    their_coupon = coupon_templates.save_template(db.session, other_owner, None, kind="cash", title="别家券",
                                                  amount_off=100,
                                                  validity_mode="relative", valid_days=3, free_claim=False, price=100)
    db.session.commit()
    assert phone.get(f"/h5/{shop.slug}/shop/card/{theirs.id}").status_code == 404
    assert phone.get(f"/h5/{shop.slug}/shop/coupon/{their_coupon.id}").status_code == 404
    assert phone.post(f"/h5/{shop.slug}/shop/card/{theirs.id}", data={"key": "x-1"}).status_code == 404
    assert phone.post(f"/h5/{shop.slug}/shop/coupon/{their_coupon.id}", data={"key": "x-2"}).status_code == 404
    assert phone.get(f"/h5/{shop.slug}/shop/card/99999999").status_code == 404
    assert count(Order) == 0 and fresh(theirs).stock_issued == 0 and fresh(their_coupon).stock_issued == 0


def test_does_a_paid_count_card_order_issue_the_card_and_link_it(db, shop, owner, member, phone, started):
    template = count_card(db, owner)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}")))
    phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": key})
    order = the_order(db, member)
    assert "支付后发放" in text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}?n=5"))
    pay(db, shop, order)
    card = db.session.scalars(select(Card).where(Card.member_id == member.id)).one()
    assert (card.template_id, card.uses_left, card.price_paid, card.channel) == (template.id, 10, 19900, "purchase")
    assert fresh(template).stock_issued == 1, "reserved once at the order, not again at issue"
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "已发放" in page and f"/h5/{shop.slug}/cards/{card.id}" in page
    assert f'data-card-id="{card.id}"' in text_of(phone.get(f"/h5/{shop.slug}/cards/"))


def test_does_a_second_timed_card_purchase_extend_the_one_held(db, shop, owner, member, phone, started):
    template = timed_card(db, owner)
    held = count_timed_issue.issue(db.session, shop, template.id, member.id, channel="staff", key="held-1",
                                   tier_key="month")
    db.session.commit()
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}")))
    phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": key, "tier_key": "month"})
    order = the_order(db, member)
    pay(db, shop, order)
    assert fresh(held).days == 60
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "已延长您持有的卡" in page and f"/h5/{shop.slug}/cards/{held.id}" in page


def test_does_a_paid_benefit_card_order_issue_it(db, shop, owner, member, phone, started):
    template = benefit_templates.save_template(db.session, owner, None, title="黄金权益卡", price=29900, valid_days=365,
                                               discount_percent=90)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}"))
    assert "折扣：9折" in page and "购买后 365 天" in page
    phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": form_key(page)})
    order = the_order(db, member)
    assert (order.kind, order.amount) == ("benefit_card", 29900)
    pay(db, shop, order)
    card = db.session.scalars(select(Card).where(Card.member_id == member.id)).one()
    assert card.template_id == template.id and card.price_paid == 29900
    assert f"/h5/{shop.slug}/benefit-cards/mine" in text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))


def test_does_buying_three_coupons_give_three_codes(db, shop, owner, member, phone, started):
    template = coupon(db, owner, stock_total=10)
    page = text_of(phone.get(f"/h5/{shop.slug}/shop/coupon/{template.id}"))
    assert "¥9.90" in page and "减20元" in page and "购买后 30 天内有效" in page
    phone.post(f"/h5/{shop.slug}/shop/coupon/{template.id}", data={"key": form_key(page), "quantity": "3",
                                                                   "price": "1"})
    order = the_order(db, member)
    assert (order.kind, order.amount, order.items["quantity"]) == ("coupon", 2970, 3)
    assert fresh(template).stock_issued == 3
    pay(db, shop, order)
    codes = db.session.scalars(select(CouponCode).where(CouponCode.member_id == member.id)).all()
    assert len(codes) == 3 and fresh(template).stock_issued == 3
    detail = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert all(f"/h5/{shop.slug}/coupons/code/{c.id}" in detail for c in codes)


@pytest.mark.parametrize("quantity", ["0", "11", "-1", "9999999"])
def test_is_a_coupon_quantity_out_of_range_refused(db, shop, owner, member, phone, started, quantity):
    template = coupon(db, owner)
    response = phone.post(f"/h5/{shop.slug}/shop/coupon/{template.id}", data={"key": "q-1", "quantity": quantity},
                          follow_redirects=True)
    assert response.status_code == 200 and ("购买数量" in text_of(response))
    assert count(Order) == 0 and fresh(template).stock_issued == 0


def test_does_the_member_limit_count_unpaid_orders(db, shop, owner, member, phone, started):
    template = coupon(db, owner, per_member_limit=3)
    first = phone.post(f"/h5/{shop.slug}/shop/coupon/{template.id}", data={"key": "l-1", "quantity": "2"})
    assert first.status_code == 200
    second = phone.post(f"/h5/{shop.slug}/shop/coupon/{template.id}", data={"key": "l-2", "quantity": "2"},
                        follow_redirects=True)
    assert "每人限购 3 张，您还可购买 1 张" in text_of(second)
    assert count(Order) == 1 and fresh(template).stock_issued == 2


def test_is_a_closed_unpaid_order_giving_its_stock_back(db, shop, owner, member, phone, started):
    template = count_card(db, owner, stock_total=1)
    phone.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": "c-1"})
    assert fresh(template).stock_issued == 1
    assert "已售罄" in text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}"))
    assert settlement.close_if_unpaid(db.session, the_order(db, member)) is True
    db.session.commit()
    assert fresh(template).stock_issued == 0
    assert "buy-form" in text_of(phone.get(f"/h5/{shop.slug}/shop/card/{template.id}"))


def test_can_a_member_pay_a_count_card_through_the_sandbox_cashier(app, db, live_server, shop, owner, member):
    template = count_card(db, owner)
    order = card_sales.create_order(db.session, shop, member.id, template_id=template.id, channel="wechat",
                                    key="sandbox-1")
    db.session.commit()
    with app.test_request_context("/", base_url=live_server):
        page = pay_start.start(shop, order)
    cashier = live_server + html.unescape(re.search(r'id="sandbox-cashier" href="([^"]+)"', page).group(1))
    opened = requests.get(cashier, timeout=30)
    paid = requests.post(opened.url, data={"action": "pay", "tamper": "", "return": "/h5/back"}, timeout=30)
    assert "支付成功" in paid.text
    assert fresh(order).state == "fulfilled"
    assert count(Card, Card.member_id == member.id, Card.template_id == template.id) == 1
    assert fresh(template).stock_issued == 1


def test_is_a_purchase_over_the_real_name_threshold_refused_without_a_name(db, make, shop, owner, client, started):
    wechat_member(make, shop, OTHER_OPENID, mobile="13500000002")
    template = count_card(db, owner, price=1_000_000)
    anonymous = wechat_phone(client, shop, OTHER_OPENID)
    response = anonymous.post(f"/h5/{shop.slug}/shop/card/{template.id}", data={"key": "rn-1"},
                              follow_redirects=True)
    assert "须实名" in text_of(response) and count(Order) == 0 and fresh(template).stock_issued == 0
