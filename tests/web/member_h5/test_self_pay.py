"""Member self-pay (自助买单) in H5: the store's pay QR page, the amount, the member-price quote, paying with
balance (once, whatever the taps), a short balance, the receipt and 消费记录, and who may see them."""
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Level, Order, Verification, Wallet
from models.checkout import Checkout
from services.till import settings as checkout_settings
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture
started = test_h5_support.started  # the fixture
owner = test_h5_support.shop_owner  # the fixture
OPENID = "o-selfpay-member-000000000000001"
OTHER_OPENID = "o-selfpay-member-000000000000002"


@pytest.fixture()
def store(make, db, shop):
    row = make.store(shop, "东门店")
    db.session.commit()
    return row


@pytest.fixture()
def member(make, db, shop):
    person = wechat_member(make, shop, OPENID, mobile="13700000011", name="王小明")
    person.level_id = db.session.scalars(select(Level).where(Level.merchant_id == shop.id,
                                                             Level.name == "银卡")).one().id  # 95 折
    make.wallet(shop, person, principal=10000)
    db.session.commit()
    return person


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


def hidden(body, name):
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def quote(phone, shop, store, amount, **extra):
    return phone.post(f"/h5/{shop.slug}/pay/{store.id}/quote", data={"amount": amount, **extra})


def pay(phone, shop, store, page, how="balance", **overrides):
    """Send the quote page's form with its pay button, as the browser would."""
    body = text_of(page)
    data = {name: hidden(body, name) for name in ("amount", "key", "expected")}
    picked = re.search(r'name="choice" id="[^"]+" value="([^"]*)" checked', body) or \
        re.search(r'type="hidden" name="choice" value="([^"]*)"', body)
    tender = re.search(r'name="tender" id="[^"]+" value="([^"]*)" checked', body).group(1)
    data.update({"choice": picked.group(1), "tender": tender, **overrides})
    return phone.post(f"/h5/{shop.slug}/pay/{store.id}/{how}", data=data)


def balance_of(member):
    db.session.expire_all()
    row = db.session.scalars(select(Wallet).where(Wallet.member_id == member.id)).one()
    return row.principal + row.bonus


def give_coupon(owner, member, key):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减20", amount_off=2000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    code = coupon_issue.claim(db.session, owner.merchant, template.id, member.id, channel="h5", key=key)
    db.session.commit()
    return code


def test_does_the_store_pay_page_ask_for_the_amount(phone, shop, store):
    page = phone.get(f"/h5/{shop.slug}/pay/{store.id}")
    body = text_of(page)
    assert page.status_code == 200 and "自助买单" in body and "东门店" in body and 'name="amount"' in body


def test_is_another_merchants_store_or_an_unknown_one_a_404(phone, make, db, shop):
    other = make.merchant(name="别家")
    theirs = make.store(other, "别家店")
    db.session.commit()
    assert phone.get(f"/h5/{shop.slug}/pay/{theirs.id}").status_code == 404
    assert phone.get(f"/h5/{shop.slug}/pay/999999").status_code == 404
    assert quote(phone, shop, theirs, "10").status_code == 404


def test_does_a_closed_store_say_so(phone, db, shop, store):
    store.active = False
    db.session.commit()
    page = phone.get(f"/h5/{shop.slug}/pay/{store.id}")
    assert page.status_code == 409 and "该门店已停用" in text_of(page)


def test_is_a_visitor_without_a_card_sent_to_claim_one_and_back(client, shop, store):
    sign_in(client, shop, "wechat", "o-selfpay-visitor-0000000000001")
    page = client.get(f"/h5/{shop.slug}/pay/{store.id}")
    assert page.status_code == 302 and "/claim" in page.headers["Location"]
    assert f"next=/h5/{shop.slug}/pay/{store.id}" in page.headers["Location"].replace("%2F", "/")


@pytest.mark.parametrize("amount, message", [
    ("", "金额须为"), ("0", "请输入消费金额"), ("-5", "金额须为"), ("1.234", "金额须为"), ("abc", "金额须为"),
    ("50000.01", "单笔买单不能超过"), ("9" * 30, "金额须为"),
])
def test_is_a_bad_amount_refused_with_nothing_changed(phone, shop, store, member, amount, message):
    page = quote(phone, shop, store, amount)
    assert page.status_code == 400 and message in text_of(page)
    assert count(Checkout) == 0 and balance_of(member) == 10000


def test_does_the_quote_show_member_prices_balance_and_points(phone, shop, store, member):
    page = quote(phone, shop, store, "100")
    body = text_of(page)
    assert page.status_code == 200, body
    assert "应付 ¥95.00" in body and "银卡" in body and "-¥5.00" in body
    assert 'id="member-balance">¥100.00' in body and 'id="member-points">' in body
    assert 'value="balance" checked' in body and 'id="pay-balance"' in body and 'value="wechat"' in body


def test_are_the_other_offers_selectable_and_repriced(phone, owner, shop, store, member):
    code = give_coupon(owner, member, "give-selfpay")
    body = text_of(quote(phone, shop, store, "100"))
    assert "应付 ¥80.00" in body and "满50减20" in body and 'id="choice-options"' in body
    level_only = re.search(r'value="(1::0)"', body).group(1)
    body = text_of(quote(phone, shop, store, "100", choice=level_only, key=hidden(body, "key")))
    assert "应付 ¥95.00" in body
    assert fresh(code).state == "available"


def test_does_a_member_pay_with_balance_and_see_the_receipt(phone, db, shop, store, member):
    page = quote(phone, shop, store, "100")
    paid = pay(phone, shop, store, page)
    assert paid.status_code == 302 and f"/h5/{shop.slug}/checkouts/" in paid.headers["Location"]
    made = db.session.scalars(select(Checkout)).one()
    assert (made.source, made.staff_id, made.api_key_id, made.tender, made.pay, made.balance_paid) == \
        ("h5", None, None, "balance", 9500, 9500)
    assert made.store_id == store.id and made.member_id == member.id
    assert balance_of(member) == 500
    receipt = text_of(phone.get(paid.headers["Location"]))
    assert "实付 ¥95.00" in receipt and "东门店" in receipt and "储值余额支付" in receipt
    assert re.search(r'id="receipt-balance-after">¥5.00', receipt) and 'id="receipt-earned"' in receipt
    listing = text_of(phone.get(f"/h5/{shop.slug}/checkouts"))
    assert f"/checkouts/{made.id}" in listing and "¥95.00" in listing
    assert 'id="checkouts-link"' in text_of(phone.get(f"/h5/{shop.slug}/member"))  # linked from the centre


def test_does_a_double_tap_pay_once(phone, db, shop, store, member):
    page = quote(phone, shop, store, "30")
    first, second = pay(phone, shop, store, page), pay(phone, shop, store, page)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Checkout) == 1 and balance_of(member) == 10000 - 2850


def test_does_a_changed_price_show_the_quote_again(phone, db, shop, store, member):
    page = quote(phone, shop, store, "100")
    settings = checkout_settings.settings_of(db.session, shop.id)
    settings.random_min = settings.random_max = 100  # 随机立减 ¥1 switched on after the member read the price
    db.session.commit()
    again = pay(phone, shop, store, page)
    assert again.status_code == 409 and "应付金额已变化" in text_of(again) and "应付 ¥94.00" in text_of(again)
    assert count(Checkout) == 0 and balance_of(member) == 10000


def test_does_a_short_balance_say_how_much_is_missing_and_offer_the_channel(phone, shop, store, member):
    page = quote(phone, shop, store, "200", tender="balance")
    body = text_of(page)
    assert "余额不足，还差 ¥90.00" in body and 'id="pay-balance"' not in body and 'id="use-channel"' in body
    forced = pay(phone, shop, store, page, tender="balance")
    assert forced.status_code == 409 and "余额不足" in text_of(forced)
    assert count(Checkout) == 0 and balance_of(member) == 10000
    channel = text_of(quote(phone, shop, store, "200", tender=["balance", "wechat"]))
    assert 'value="wechat" checked' in channel and 'id="pay-channel"' in channel and "应付 ¥190.00" in channel


def test_does_paying_by_channel_create_a_self_pay_order(phone, db, shop, store, member, started):
    page = quote(phone, shop, store, "200", tender="wechat")
    sent = pay(phone, shop, store, page, how="channel")
    order = db.session.scalars(select(Order)).one()
    assert sent.status_code == 200 and started == [order.id]
    assert (order.kind, order.channel, order.amount, order.store_id) == ("self_pay", "wechat", 19000, store.id)
    again = pay(phone, shop, store, page, how="channel")  # a double tap: the same order
    assert again.status_code == 200 and count(Order) == 1


def test_may_a_member_see_only_their_own_receipt(phone, make, db, shop, store, member):
    other = wechat_member(make, shop, OTHER_OPENID, mobile="13700000012")
    make.wallet(shop, other, principal=10000)
    db.session.commit()
    page = quote(phone, shop, store, "10")
    mine = pay(phone, shop, store, page).headers["Location"]
    sign_in(phone, shop, "wechat", OTHER_OPENID)
    assert phone.get(mine).status_code == 404
    assert 'id="checkout-list-empty"' in text_of(phone.get(f"/h5/{shop.slug}/checkouts"))


def test_is_another_merchants_checkout_a_404(phone, make, db, shop, store):
    other = make.merchant(name="别家")
    their_store = make.store(other, "别家店")
    their_member = make.member(other)
    row = Checkout(merchant_id=other.id, member_id=their_member.id, store_id=their_store.id, source="staff",
                   amount=1000, discount=0, pay=1000, tender="cash", balance_paid=0, points_used=0,
                   points_earned=0, coupon_code_ids=[], steps=[], state="paid", refunded_amount=0,
                   idempotency_key="theirs")
    db.session.add(row)
    db.session.commit()
    assert phone.get(f"/h5/{shop.slug}/checkouts/{row.id}").status_code == 404


def test_is_a_coupon_used_by_self_pay_recorded_as_self(phone, owner, shop, store, member):
    code = give_coupon(owner, member, "give-selfpay-2")
    paid = pay(phone, shop, store, quote(phone, shop, store, "100"))
    assert paid.status_code == 302
    record = db.session.scalars(select(Verification).where(Verification.coupon_code_id == code.id)).one()
    assert (record.method, record.staff_id, record.api_key_id, record.store_id) == ("self", None, None, store.id)
    assert fresh(code).state == "used" and fresh(code).used_by_id is None


def test_does_a_member_inside_alipay_pay_with_alipay(client, make, db, shop, store):
    from services.members import members
    from tests.web.member_h5.test_h5_support import ALIPAY_UA

    person = make.member(shop, mobile="13700000013")
    members.bind_identity(db.session, person, "alipay_user_id", "2088000000000013", shop.alipay_app_id)
    db.session.commit()
    sign_in(client, shop, "alipay", "2088000000000013", app_id=shop.alipay_app_id)
    body = text_of(client.post(f"/h5/{shop.slug}/pay/{store.id}/quote", data={"amount": "10"},
                               headers={"User-Agent": ALIPAY_UA}))
    assert 'value="alipay" checked' in body and 'value="wechat"' not in body and "确认支付 ¥10.00（支付宝）" in body


@pytest.mark.parametrize("data", [{}, {"amount": "10"}, {"amount": "10", "key": "k", "expected": "abc"},
                                  {"amount": "10", "key": "k", "expected": "1000", "choice": "x:y"},
                                  {"amount": "10", "key": "k" * 81, "expected": "1000"}])
def test_is_a_malformed_pay_form_refused_with_nothing_changed(phone, shop, store, member, data):
    for how in ("balance", "channel"):
        response = phone.post(f"/h5/{shop.slug}/pay/{store.id}/{how}", data=data)
        assert response.status_code == 400, text_of(response)
    assert count(Checkout) == 0 and count(Order) == 0 and balance_of(member) == 10000


def test_does_a_member_without_balance_see_the_channel_first(phone, db, shop, store, member):
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == member.id)).one()
    purse.principal = 0
    db.session.commit()
    body = text_of(quote(phone, shop, store, "10"))
    assert 'value="wechat" checked' in body and 'id="pay-channel"' in body and "确认支付 ¥9.50（微信支付）" in body
