"""Member H5 top-up: the tiers and what each gives, an order priced on the server, the member's orders."""
import re

import pytest

from channels import payment_channels
from domain.orders import Expected
from models import Order
from services.coupons import templates as coupon_templates
from services.orders import refunds, settlement
from services.wallet import stored_value, journal as wallet
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import ALIPAY_UA, sign_in

shop = test_h5_support.shop  # the fixture
owner = test_h5_support.shop_owner  # the fixture
started = test_h5_support.started  # the fixture
OPENID = "o-topup-member-0000000000000001"
OTHER_OPENID = "o-topup-member-0000000000000002"


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13700000001")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


def enable(db, owner, **settings):
    stored_value.enable(db.session, owner)
    row = stored_value.settings_of(db.session, owner.merchant_id)
    for name, value in settings.items():
        setattr(row, name, value)
    db.session.commit()


def tier(db, owner, **overrides):
    values = dict(pay_amount=10000, bonus=1000, instalment_total=0, instalment_months=0, points=0, growth=0,
                  coupons=[], active=True, sort=0, starts_on=None, ends_on=None)
    values.update(overrides)
    rule = stored_value.save_rule(db.session, owner, None, **values)
    db.session.commit()
    return rule


def form_key(html):
    """The idempotency key minted when the page was shown."""
    return re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)


def test_is_the_top_up_page_a_message_until_stored_value_is_enabled(db, shop, owner, phone):
    tier(db, owner)
    page = text_of(phone.get(f"/h5/{shop.slug}/topup"))
    assert "暂未开通储值" in page and "topup-form" not in page


def test_does_the_page_show_each_tier_with_what_it_gives(db, shop, owner, phone):
    enable(db, owner)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              min_spend=10000, validity_mode="relative", valid_days=30)
    db.session.commit()
    tier(db, owner, pay_amount=10000, bonus=1000, coupons=[{"template_id": template.id, "count": 2}])
    tier(db, owner, pay_amount=100000, bonus=10000, instalment_total=90000, instalment_months=9)
    page = text_of(phone.get(f"/h5/{shop.slug}/topup"))
    assert "充 100 送 10，赠 2 张满100减20" in page
    assert "充 1000 送 100，分 9 个月再返 900" in page
    assert "其他金额" not in page and "确认充值（微信支付）" in page


def test_does_the_post_create_an_order_at_the_servers_price_and_start_paying_it(db, shop, owner, member, phone,
                                                                                started):
    enable(db, owner)
    rule = tier(db, owner, pay_amount=10000, bonus=1000)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/topup")))
    response = phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id), "amount": "0.01",
                                                          "custom_amount": ""})
    assert response.status_code == 200, text_of(response)
    order = fresh(db.session.query(Order).filter_by(member_id=member.id).one())
    assert started == [order.id] and text_of(response) == f"pay {order.out_trade_no}"
    assert (order.kind, order.amount, order.channel, order.state) == ("topup", 10000, "wechat", "created")
    assert order.items["principal"] == 10000 and order.items["bonus"] == 1000
    again = phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id)})
    assert again.status_code == 200 and count(Order, Order.member_id == member.id) == 1


def test_does_alipay_inside_alipay_pay_with_alipay(db, shop, owner, member, phone, started):
    enable(db, owner)
    rule = tier(db, owner)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/topup", headers={"User-Agent": ALIPAY_UA})))
    phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id)}, headers={"User-Agent": ALIPAY_UA})
    assert db.session.query(Order).filter_by(member_id=member.id).one().channel == "alipay"


def test_is_a_custom_amount_outside_the_range_refused_with_no_order(db, shop, owner, member, phone, started):
    enable(db, owner, allow_custom_amount=True, custom_min=1000, custom_max=20000)
    page = text_of(phone.get(f"/h5/{shop.slug}/topup"))
    assert "其他金额" in page
    response = phone.post(f"/h5/{shop.slug}/topup", data={"key": form_key(page), "rule_id": "",
                                                          "custom_amount": "500"}, follow_redirects=True)
    assert "充值金额须在 10 到 200 元之间" in text_of(response)
    assert count(Order, Order.member_id == member.id) == 0 and started == []
    ok = phone.post(f"/h5/{shop.slug}/topup", data={"key": form_key(page), "rule_id": "", "custom_amount": "123.45"})
    assert ok.status_code == 200
    assert db.session.query(Order).filter_by(member_id=member.id).one().amount == 12345


def test_is_a_top_up_over_the_balance_cap_refused(db, make, shop, owner, member, phone, started):
    enable(db, owner, max_balance=15000)
    make.wallet(shop, member, principal=10000)
    db.session.commit()
    rule = tier(db, owner, pay_amount=10000, bonus=0)
    key = form_key(text_of(phone.get(f"/h5/{shop.slug}/topup")))
    response = phone.post(f"/h5/{shop.slug}/topup", data={"key": key, "rule_id": str(rule.id)}, follow_redirects=True)
    assert "超过上限 150" in text_of(response) and count(Order, Order.member_id == member.id) == 0


def test_does_the_order_page_confirm_then_show_what_the_top_up_gave(db, shop, owner, member, phone, started):
    enable(db, owner)
    rule = tier(db, owner, pay_amount=10000, bonus=1000, points=50)
    order = stored_value.create_topup_order(db.session, shop, member.id, channel="wechat", key="t:1",
                                            rule_id=rule.id)
    db.session.commit()
    pending = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "支付结果确认中" in pending and f'auto_refresh.js" data-url="/h5/{shop.slug}/orders/{order.id}?n=1"' in pending
    assert "auto_refresh.js" not in text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}?n=5"))
    settlement.record_payment(db.session, shop, order, amount=10000, currency="CNY", app_id="wx", merchant_no="",
                          channel_trade_no="T1", payer=OPENID, expected=Expected(10000, "CNY", "wx", ""))
    db.session.commit()
    done = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "已完成" in done and "已到账" in done and "¥100.00" in done and "¥10.00" in done
    assert "location.replace" not in done
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    assert (purse.principal, purse.bonus) == (10000, 1000)
    listing = text_of(phone.get(f"/h5/{shop.slug}/orders"))
    assert f'data-order-id="{order.id}"' in listing and "储值充值 · ¥100.00" in listing


def test_is_another_members_order_a_404(db, make, shop, owner, member, client):
    enable(db, owner)
    rule = tier(db, owner)
    order = stored_value.create_topup_order(db.session, shop, member.id, channel="wechat", key="t:2",
                                            rule_id=rule.id)
    db.session.commit()
    wechat_member(make, shop, OTHER_OPENID, mobile="13700000002")
    sign_in(client, shop, "wechat", OTHER_OPENID)
    assert client.get(f"/h5/{shop.slug}/orders/{order.id}").status_code == 404
    assert f'data-order-id="{order.id}"' not in text_of(client.get(f"/h5/{shop.slug}/orders"))


def test_do_the_balance_page_and_the_centre_link_to_the_top_up(shop, phone):
    assert f"/h5/{shop.slug}/topup" in text_of(phone.get(f"/h5/{shop.slug}/member/balance"))
    assert f"/h5/{shop.slug}/topup" in text_of(phone.get(f"/h5/{shop.slug}/member"))


def test_does_the_order_page_list_its_refunds(db, shop, owner, member, phone, started, monkeypatch):
    class Channel:
        @staticmethod
        def refund(merchant, order, amount, out_refund_no, reason):
            return {"refund_id": "CH1", "status": "succeeded"}

    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: Channel)
    enable(db, owner)
    rule = tier(db, owner, pay_amount=10000, bonus=1000)
    order = stored_value.create_topup_order(db.session, shop, member.id, channel="wechat", key="t:refund",
                                            rule_id=rule.id)
    settlement.record_payment(db.session, shop, order, amount=10000, currency="CNY", app_id="wx", merchant_no="",
                          channel_trade_no="T2", payer=OPENID, expected=Expected(10000, "CNY", "wx", ""))
    refunds.refund_topup(db.session, owner, order.id, 3000, reason="顾客要求", key="rf:h5")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))
    assert "退款 ¥30.00 · 收回赠送 ¥3.00" in page and "已退回原支付账户" in page
