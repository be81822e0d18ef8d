"""Back office: the prepaid balance report page, its date, and who may read it."""
from domain import roles
from extensions import db
from services.wallet import journal as wallet
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


def test_does_the_csv_export_open_in_excel_with_the_same_lines(as_owner, make, merchant):
    store = make.store(merchant, "陆家嘴店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 20000, 2000, key="topup:csv", store_id=store.id)
    db.session.commit()
    response = as_owner.get("/backoffice/reports/prepaid?format=csv")
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("门店,会员本金余额（元）") and lines[1].startswith("陆家嘴店,200.00,20.00,0.00,220.00")
    assert lines[-1].startswith("合计,200.00,20.00")


def test_does_the_xlsx_export_hold_exact_yuan_numbers_an_accountant_can_sum(as_owner, make, merchant):
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    store = make.store(merchant, "徐家汇店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 12345, 55, key="topup:xlsx", store_id=store.id)
    db.session.commit()
    response = as_owner.get("/backoffice/reports/prepaid?format=xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["门店", "会员本金余额（元）"]
    assert rows[1][0] == "徐家汇店" and Decimal(str(rows[1][1])) == Decimal("123.45")
    assert Decimal(str(rows[1][2])) == Decimal("0.55") and rows[-1][0] == "合计"
    assert sheet.cell(row=2, column=2).number_format == "#,##0.00"


def test_does_a_chart_draw_each_stores_balances_and_load_echarts_only_here(as_owner, make, merchant):
    import html
    import json
    import re

    store = make.store(merchant, "静安店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 30000, 3000, key="topup:chart", store_id=store.id)
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/reports/prepaid"))
    data = json.loads(html.unescape(re.search(r'id="prepaid-chart"[^>]*data-chart="([^"]+)"', page).group(1)))
    assert data["stores"] == ["静安店"]
    assert [(line["name"], line["fen"]) for line in data["series"]] == [
        ("会员本金", [30000]), ("会员赠送", [3000]), ("礼品卡", [0])]
    assert "vendor/echarts/echarts.min.js" in page and "js/prepaid_chart.js" in page
    for other in ("/backoffice/members", "/backoffice/verifications"):  # the dashboard and reports draw charts too
        assert "echarts" not in text_of(as_owner.get(other)), other


def test_is_there_no_chart_for_a_day_with_no_balances(as_owner):
    page = text_of(as_owner.get("/backoffice/reports/prepaid"))
    assert "prepaid-chart" not in page and "echarts" not in page and "这一天之前没有储值记录" in page
