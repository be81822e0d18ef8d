"""The staff 收银 page against the real services.till.checkout: amount, member, itemised quote, tender, confirm,
the receipt (and its 58 mm print) and the store's checkouts of today."""
import re

import pytest
from sqlalchemy import select

from domain import roles
from models import Level, Wallet
from models.checkout import Checkout
from services.cards import physical as member_cards
from services.members import members
from tests.web.helpers import count, text_of
from tests.web.staff_h5.test_staff_h5 import second_phone, staff_login

PHONE = "13912345678"


@pytest.fixture()
def till(db, make):
    merchant = make.merchant(name="收银咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    east_cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    west_cashier = make.staff(merchant, role=roles.CASHIER, username="west", stores_=[west])
    silver = db.session.scalars(select(Level).where(Level.merchant_id == merchant.id, Level.name == "银卡")).one()
    member = make.member(merchant, mobile=PHONE, name="王小明")
    member.level_id = silver.id  # 95 折
    purse = make.wallet(merchant, member, principal=10000)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, east=east, west=west, east_cashier=east_cashier,
                west_cashier=west_cashier, member=member, purse=purse)


def hidden(body, name):
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def quote(client, **data):
    return client.post("/staff/checkout/quote", data=data)


def confirm(client, page, tender, **overrides):
    """Send the quote page's form with the confirm button, as the browser would."""
    body = text_of(page)
    data = {name: hidden(body, name) for name in ("amount", "key", "expected")}
    member = re.search(r'name="member_id" value="(\d+)"', body)
    data.update({"member_id": member.group(1)} if member else {"walk_in": "1"})
    picked = re.search(r'name="choice" id="[^"]+" value="([^"]*)" checked', body) or \
        re.search(r'type="hidden" name="choice" value="([^"]*)"', body)
    data.update(choice=picked.group(1), tender=tender, **overrides)
    return client.post("/staff/checkout/pay", data=data)


def balance_of(db, purse_id):
    db.session.expire_all()
    purse = db.session.get(Wallet, purse_id)
    return purse.principal + purse.bonus


def test_can_a_cashier_charge_a_member_found_by_phone_to_their_balance(client, db, till):
    staff_login(client, till["east_cashier"])
    home = text_of(client.get("/staff/"))
    assert 'id="tab-till" aria-current' not in home and re.search(r'href="/staff/checkout"[^>]*id="tab-till"', home)
    assert "/staff/checkouts" in text_of(client.get("/staff/me"))  # 本店今日收银 under 我的
    assert "消费金额" in text_of(client.get("/staff/checkout"))
    page = quote(client, amount="100", code=PHONE)
    body = text_of(page)
    assert page.status_code == 200, body
    assert "银卡" in body and "-¥5.00" in body and "应收 ¥95.00" in body and "¥100.00" in body
    assert 'id="tender-balance"' in body and 'value="balance" checked' in body and 'id="confirm-pay"' in body
    paid = confirm(client, page, "balance")
    assert paid.status_code == 302 and "/staff/checkouts/" in paid.headers["Location"]
    receipt = text_of(client.get(paid.headers["Location"]))
    assert "实付 ¥95.00" in receipt and "银卡" in receipt and "储值余额支付" in receipt
    assert re.search(r'id="receipt-balance-after">¥5.00', receipt)
    assert balance_of(db, till["purse"].id) == 500
    made = db.session.scalars(select(Checkout)).one()
    assert made.store_id == till["east"].id and made.staff_id == till["east_cashier"].id and made.pay == 9500
    printed = text_of(client.get(f"/staff/checkouts/{made.id}/print"))
    sheet = client.get(re.search(r'href="([^"]*/receipt_print\.css)"', printed).group(1))
    print_css = sheet.get_data(as_text=True)
    sheet.close()
    assert "58mm" in print_css and "@media print" in print_css
    assert 'data-print id="print-button"' in printed and "¥95.00" in printed


def test_is_a_balance_that_does_not_cover_the_amount_refused_with_what_is_missing(client, db, till):
    staff_login(client, till["east_cashier"])
    page = quote(client, amount="200", code=PHONE, tender="balance")
    body = text_of(page)
    assert "还差 ¥90.00" in body and 'id="confirm-pay"' not in body and 'id="tender-cash"' in body
    refused = confirm(client, page, "balance", expected="19000")
    assert refused.status_code == 409 and "还差 ¥90.00" in text_of(refused)
    assert count(Checkout) == 0 and balance_of(db, till["purse"].id) == 10000
    cash = confirm(client, quote(client, amount="200", code=PHONE, tender="cash"), "cash")
    assert cash.status_code == 302
    assert "现金" in text_of(client.get(cash.headers["Location"]))
    assert balance_of(db, till["purse"].id) == 10000


def test_can_a_walk_in_customer_pay_cash_without_membership(client, db, till):
    staff_login(client, till["east_cashier"])
    page = quote(client, amount="20.5", walk_in="1")
    body = text_of(page)
    assert "非会员" in body and "应收 ¥20.50" in body and 'id="tender-balance"' not in body
    paid = confirm(client, page, "cash")
    receipt = text_of(client.get(paid.headers["Location"]))
    assert "非会员" in receipt and "现金" in receipt and "¥20.50" in receipt
    made = db.session.scalars(select(Checkout)).one()
    assert made.member_id is None and made.tender == "cash" and made.points_earned == 0


def test_does_a_double_tap_on_confirm_pay_once(client, db, till):
    staff_login(client, till["east_cashier"])
    page = quote(client, amount="10", code=PHONE)
    first, second = confirm(client, page, "balance"), confirm(client, page, "balance")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Checkout) == 1 and balance_of(db, till["purse"].id) == 10000 - 950


def test_can_the_cashier_pick_another_offer_than_the_cheapest(client, db, till):
    staff_login(client, till["east_cashier"])
    body = text_of(quote(client, amount="100", code=PHONE, tender="cash"))
    assert 'id="choice-options"' in body and "不使用会员优惠" in body
    plain = quote(client, amount="100", member_id=str(till["member"].id), tender="cash", choice="0::0",
                  key="checkout:picked")
    assert "应收 ¥100.00" in text_of(plain)
    paid = confirm(client, plain, "cash")
    assert paid.status_code == 302 and db.session.scalars(select(Checkout)).one().pay == 10000


def test_is_a_frozen_wallet_refused_before_confirming(client, db, till):
    till["purse"].frozen = True
    db.session.commit()
    staff_login(client, till["east_cashier"])
    body = text_of(quote(client, amount="10", code=PHONE, tender="cash"))
    assert "已冻结" in body and 'id="confirm-pay"' not in body


def test_is_another_stores_checkout_hidden_from_a_store_bound_cashier(app, client, db, till):
    staff_login(client, till["east_cashier"])
    paid = confirm(client, quote(client, amount="10", walk_in="1"), "cash")
    url = paid.headers["Location"]
    checkout_id = int(url.rsplit("/", 1)[1])
    assert f"checkout-{checkout_id}" in text_of(client.get("/staff/checkouts"))
    west = staff_login(second_phone(app), till["west_cashier"])
    assert west.get(url).status_code == 404 and west.get(f"{url}/print").status_code == 404
    assert f"checkout-{checkout_id}" not in text_of(west.get("/staff/checkouts"))
    assert west.get(f"/staff/checkouts/{checkout_id + 1000}").status_code == 404
    boss = staff_login(second_phone(app), till["owner"], till["east"])
    assert boss.get(url).status_code == 200


@pytest.mark.parametrize("data, status, says", [
    ({"amount": "abc", "code": PHONE}, 400, "金额须为"),
    ({"amount": "0", "code": PHONE}, 400, "请输入消费金额"),
    ({"amount": "10", "code": "13800000000"}, 404, "该手机号不是会员"),
    ({"amount": "10", "code": ""}, 400, "请扫描会员码"),
    ({"amount": "10", "walk_in": "1", "choice": "x:y"}, 400, "优惠选择不正确"),
    ({"amount": "10", "walk_in": "1", "tender": "bitcoin"}, 400, "未知的支付方式"),
    ({"amount": "10", "member_id": "99999999"}, 404, ""),
    ({"amount": "10", "member_id": "1x"}, 400, "会员信息不正确"),
])
def test_is_bad_input_refused_clearly_without_a_500(client, till, data, status, says):
    staff_login(client, till["east_cashier"])
    response = quote(client, **data)
    assert response.status_code == status and says in text_of(response)
    assert count(Checkout) == 0


def test_is_a_pay_without_its_key_or_tender_refused(client, till):
    staff_login(client, till["east_cashier"])
    assert client.post("/staff/checkout/pay", data={"amount": "10", "walk_in": "1"}).status_code == 400
    assert count(Checkout) == 0


def test_is_a_lost_card_refused_with_the_reason_before_any_quote(client, db, till):
    card = members.bind_identity(db.session, till["member"], "card_no", "88000001")
    member_cards.report_lost(db.session, till["owner"], till["member"], card.id, key="lost")
    db.session.commit()
    staff_login(client, till["east_cashier"])
    by_card = quote(client, amount="10", code="88000001")
    assert "挂失" in text_of(by_card) and 'id="confirm-pay"' not in text_of(by_card)
    by_phone = text_of(quote(client, amount="10", code=PHONE, tender="cash"))
    assert "挂失" in by_phone and 'id="confirm-pay"' not in by_phone
