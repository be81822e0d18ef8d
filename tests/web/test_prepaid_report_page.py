"""Back office: the prepaid balance report page, its date, and who may read it."""
from domain import roles
from extensions import db
from services import wallet
from tests.web.helpers import text_of


def test_does_the_page_show_store_lines_and_a_total(as_owner, make, merchant):
    store = make.store(merchant, "人民广场店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, 1000, key="topup:page", store_id=store.id)
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/reports/prepaid"))
    assert "人民广场店" in page and "合计" in page and "100.00" in page and "10.00" in page


def test_does_a_malformed_date_fall_back_to_today(as_owner):
    assert as_owner.get("/backoffice/reports/prepaid?day=2030-13-45").status_code == 200


def test_is_a_cashier_refused_the_money_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/prepaid").status_code == 403
