"""Back office: 店员绩效 (reports.view): the table with totals for a period and a store, CSV and XLSX with the same
filters, commission only for those who pay it, another merchant's store 404, bad dates read as this month; the staff
page's 我的 shows the staff member's own month."""
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete

from domain import roles
from domain.clock import local_today
from extensions import db
from models.commission import CommissionEntry
from services.recruitment import attribution, commission_rules
from services.till import checkout
from tests.web.helpers import text_of
from tests.web.staff_h5.test_staff_h5 import staff_login


@pytest.fixture()
def busy(make, merchant, owner, store):
    cashier = make.staff(merchant, role=roles.CASHIER, username="pf-cashier", stores_=[store])
    member = make.member(merchant, mobile="13711112222")
    attribution.record(db.session, merchant.id, member.id, "join", key=f"join:{member.id}",
                       touch=attribution.Touch(staff_id=cashier.id, store_id=store.id))
    checkout.pay(db.session, merchant, cashier, store_id=store.id, member_id=None, amount=12300, tender="cash",
                 choice=None, seed="s", key="pf-1")
    db.session.add(CommissionEntry(merchant_id=merchant.id, staff_id=cashier.id, kind="new_member", amount=800,
                                   key="pf-c", created_at=datetime.now(timezone.utc)))
    db.session.commit()
    return cashier


def test_does_the_page_show_each_staff_members_figures_and_the_total(as_owner, busy):
    page = text_of(as_owner.get("/backoffice/reports/staff-performance"))
    assert f'data-staff-id="{busy.id}"' in page and "123.00" in page and "合计" in page
    assert 'id="performance-totals"' in page and "8.00" in page  # the owner pays commission: it is shown


def test_does_an_operator_see_the_figures_without_commission(sign_in_as, client, busy):
    sign_in_as(roles.OPERATOR)
    page = text_of(client.get("/backoffice/reports/staff-performance"))
    assert "123.00" in page and "提成" not in page


@pytest.mark.parametrize("role", [roles.GUIDE, roles.CASHIER, roles.CUSTOMER_SERVICE])
def test_is_the_report_refused_to_shop_floor_roles(sign_in_as, client, role):
    sign_in_as(role)
    for url in ("/backoffice/reports/staff-performance", "/backoffice/reports/staff-performance.csv",
                "/backoffice/reports/staff-performance.xlsx"):
        assert client.get(url).status_code == 403


def test_does_a_store_filter_keep_only_that_stores_business(as_owner, make, merchant, busy):
    other = make.store(merchant, "西门店")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/reports/staff-performance?store_id={other.id}"))
    assert "123.00" not in page and 'id="export-csv"' in page


def test_do_the_exports_carry_the_same_figures(as_owner, merchant, busy):
    today = local_today(merchant.timezone).isoformat()
    csv = as_owner.get(f"/backoffice/reports/staff-performance.csv?date_from={today}&date_to={today}")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("店员,角色,拉新会员") and lines[0].endswith("提成（元）")
    [mine] = [line for line in lines if line.startswith("员工cashier")]
    assert ",1,0," in mine and "123.00" in mine and mine.endswith("8.00")
    xlsx = as_owner.get(f"/backoffice/reports/staff-performance.xlsx?date_from={today}")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows()]
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][-3])) == Decimal("123.00")


def test_is_another_merchants_store_not_found_and_bad_dates_read_as_this_month(as_owner, make, db, busy):
    stranger = make.store(make.merchant(), "别家门店")
    db.session.commit()
    for url in (f"/backoffice/reports/staff-performance?store_id={stranger.id}",
                f"/backoffice/reports/staff-performance.csv?store_id={stranger.id}",
                "/backoffice/reports/staff-performance?store_id=99999999999999"):
        assert as_owner.get(url).status_code == 404, url
    for url in ("/backoffice/reports/staff-performance?date_from=2026-02-30&date_to=nope&store_id=x",
                "/backoffice/reports/staff-performance?date_from=" + "1" * 5000,
                "/backoffice/reports/staff-performance?date_from=2030-01-01&date_to=1990-01-01"):
        assert as_owner.get(url).status_code == 200, url


def test_does_the_staff_pages_me_tab_show_the_staff_members_own_month(client, owner, store, busy):
    me = text_of(staff_login(client, busy, store).get("/staff/me"))
    assert 'id="my-month"' in me and "1 人" in me and "¥123.00" in me
    assert 'id="my-commission"' in me  # earned this month, so shown even with the rule off
    commission_rules.save(db.session, owner, enabled=False, per_new_member=0, topup_bp=0, card_sale_bp=0,
                          guided_spend_bp=0, guided_spend_days=0)
    db.session.execute(delete(CommissionEntry))
    db.session.commit()
    assert 'id="my-commission"' not in text_of(client.get("/staff/me"))
