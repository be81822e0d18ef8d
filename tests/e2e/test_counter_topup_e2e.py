"""In real Chromium on a phone: a cashier signs in, finds a member by mobile on the 会员 tab, takes a ¥100 cash
top-up (门店充值) under the shop's tier (充 100 送 10), and reads the receipt: principal, bonus, the new balance, the
store and the cashier."""
import pytest
from sqlalchemy import select

from models import Order, Wallet
from services.wallet import stored_value
from tests.e2e.conftest import sign_in_to_staff_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="topupcafe", name="充值咖啡")
    owner = make.staff(merchant, role="owner", username="boss")
    east = make.store(merchant, "东门店")
    cashier = make.staff(merchant, role="cashier", username="east", stores_=[east])
    member = make.member(merchant, mobile="13677779999", name="充值人")
    purse = make.wallet(merchant, member, principal=2000)
    stored_value.enable(db.session, owner)
    stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=0,
                           instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0, starts_on=None,
                           ends_on=None)
    db.session.commit()
    return dict(slug=merchant.slug, username=cashier.username, cashier_id=cashier.id, store_id=east.id,
                purse_id=purse.id)


def test_can_a_cashier_take_a_cash_top_up_and_read_the_receipt(phone, live_server, shop, db):
    sign_in_to_staff_page(phone, live_server, shop["slug"], shop["username"], PASSWORD)
    phone.click("#tab-member")
    phone.wait_for_url(f"{live_server}/staff/members")
    phone.fill("input[name=code]", "13677779999")
    phone.click("#find-member")
    phone.wait_for_selector("#member-head")
    phone.click("#member-topup")
    phone.wait_for_selector("#topup-tiers")
    assert "充 100 送 10" in phone.text_content("#topup-tiers")
    assert phone.is_checked("#topup-tiers input[name=choice]")  # the first tier is chosen to start with
    phone.click("label[for=tender-cash]")
    phone.click("#topup-next")
    phone.wait_for_selector("#topup-summary")
    assert "应收 ¥100.00" in phone.text_content("#topup-confirm-head")
    assert "¥130.00" in phone.text_content("#summary-balance-after")  # ¥20 held, ¥100 paid, ¥10 given
    phone.click("#confirm-topup")
    phone.wait_for_url(f"{live_server}/staff/topups/*")
    head = phone.text_content("#receipt-head")
    assert "充值 ¥100.00" in head and "东门店" in head and "员工cashier" in head
    assert "¥10.00" in phone.text_content("#receipt-bonus")
    assert "¥130.00" in phone.text_content("#receipt-balance-after")
    assert "现金" in phone.text_content("#receipt-tender")
    db.session.expire_all()
    purse = db.session.get(Wallet, shop["purse_id"])
    assert (purse.principal, purse.bonus) == (12000, 1000)
    order = db.session.scalars(select(Order)).one()
    assert (order.channel, order.staff_id, order.store_id) == ("cash", shop["cashier_id"], shop["store_id"])
