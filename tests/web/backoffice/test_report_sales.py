"""Back office: the sales report page, its period and store filter, the exports, and who may read it."""
import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from domain import roles
from domain.clock import local_today
from extensions import db
from services.till import checkout, refunds
from tests.web.helpers import text_of


def _pay(merchant, owner, store, amount, key, member=None, tender="cash"):
    made = checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=member.id if member else None,
                        amount=amount, tender=tender, choice=None, seed=key, key=key)
    db.session.commit()
    return made


def test_does_the_page_show_the_periods_money_per_store_and_day(as_owner, make, merchant, owner):
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    member = make.member(merchant)
    first = _pay(merchant, owner, one, 12000, "a", member)
    _pay(merchant, owner, two, 3000, "b", tender="wechat")
    refunds.refund(db.session, owner, first.id, amount=2000, reason="退货", key="r1")
    db.session.commit()

    page = as_owner.get("/backoffice/reports/sales")
    assert page.status_code == 200
    text = text_of(page)
    assert "人民广场店" in text and "徐家汇店" in text and "150.00" in text and "20.00" in text
    assert "80%" in text  # the member paid 120 of 150
    assert b'class="bo-report-chart report-chart' in page.data

    only_two = text_of(as_owner.get(f"/backoffice/reports/sales?store={two.id}"))
    assert "30.00" in only_two and "150.00" not in only_two


def test_do_the_exports_carry_each_day_and_a_total(as_owner, make, merchant, owner):
    store = make.store(merchant, "陆家嘴店")
    _pay(merchant, owner, store, 12345, "x")
    today = local_today(merchant.timezone)
    csv = as_owner.get(f"/backoffice/reports/sales?format=csv&start={(today - timedelta(days=2)).isoformat()}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("日期/门店,笔数,实收") and len(lines) == 1 + 3 + 1
    assert lines[3].startswith(f"{today.isoformat()},1,123.45") and lines[-1].startswith("合计,1,123.45")

    response = as_owner.get("/backoffice/reports/sales?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()  # the temporary file the workbook was written to
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][:2] == ("合计", 1) and Decimal(str(rows[-1][2])) == Decimal("123.45")


def test_are_unreadable_dates_and_ranges_refused_with_a_message(as_owner):
    for query, message in (("start=2026-13-01", "开始日期格式不正确"), ("start=2026-05-02&end=2026-05-01", "不能晚于"),
                           ("start=2020-01-01&end=2026-01-01", "最长 366 天"), ("end=2026-1-1x", "结束日期格式不正确"),
                           ("end=99999-01-01", "结束日期格式不正确")):
        response = as_owner.get(f"/backoffice/reports/sales?{query}")
        assert response.status_code == 400 and message in text_of(response), query
    assert as_owner.get("/backoffice/reports/sales?format=pdf").status_code == 404
    assert as_owner.get("/backoffice/reports/sales?end=%00").status_code == 400


def test_is_another_merchants_store_not_found(as_owner, make):
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reports/sales?store={store.id}").status_code == 404
    assert as_owner.get("/backoffice/reports/sales?store=abc").status_code == 404


def test_is_a_cashier_refused_the_sales_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/sales").status_code == 403
    assert client.get("/backoffice/reports").status_code == 403


def test_does_the_page_say_when_a_job_is_still_counting_some_days(as_owner, monkeypatch):
    from services.reports import figures

    monkeypatch.setattr(figures, "BUILD_SECONDS", -1)  # nothing built on the request: a job gets every closed day
    text = text_of(as_owner.get("/backoffice/reports/sales"))
    assert "有 29 天的数据正在统计中" in text
    monkeypatch.setattr(figures, "BUILD_SECONDS", 3.0)
    assert "正在统计中" not in text_of(as_owner.get("/backoffice/reports/sales"))  # the job ran after the commit
