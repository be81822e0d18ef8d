"""In real Chromium on a phone: a cashier types the amount and a member's mobile, reads the itemised quote, pays
with the member's balance, and the receipt shows what was paid."""
import pytest
from sqlalchemy import select

from models import Level, Wallet
from tests.e2e.conftest import sign_in_to_staff_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture()
def till(make, db):
    merchant = make.merchant(slug="tillcafe", name="收银咖啡")
    east = make.store(merchant, "东门店")
    cashier = make.staff(merchant, role="cashier", username="east", stores_=[east])
    member = make.member(merchant, mobile="13677778888", name="付款人")
    member.level_id = db.session.scalars(select(Level).where(Level.merchant_id == merchant.id,
                                                             Level.name == "银卡")).one().id
    purse = make.wallet(merchant, member, principal=20000)
    db.session.commit()
    return dict(slug=merchant.slug, username=cashier.username, purse_id=purse.id)


def test_can_a_cashier_charge_a_member_by_phone_to_their_balance(phone, live_server, till, db):
    sign_in_to_staff_page(phone, live_server, till["slug"], till["username"], PASSWORD)
    phone.click("#tab-till")
    phone.wait_for_url(f"{live_server}/staff/checkout")
    phone.fill("input[name=amount]", "120")
    phone.fill("input[name=code]", "13677778888")
    phone.click("#quote-member")
    phone.wait_for_selector("#quote-steps")
    steps = phone.text_content("#quote-steps")
    assert "银卡" in steps and "-¥6.00" in steps and "¥114.00" in steps
    assert phone.is_checked("#tender-balance")
    assert "¥200.00" in phone.text_content("#member-balance")
    phone.click("#confirm-pay")
    phone.wait_for_url(f"{live_server}/staff/checkouts/*")
    assert "实付 ¥114.00" in phone.text_content("#receipt-head")
    assert "¥86.00" in phone.text_content("#receipt-balance-after")
    db.session.expire_all()
    purse = db.session.get(Wallet, till["purse_id"])
    assert purse.principal + purse.bonus == 8600
