"""Back office: the points report page (积分报表), by kind, per store and day, its exports, and who may read it."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from domain import roles
from domain.clock import local_today, now_utc
from extensions import db
from models import PointsTransaction
from services.points import ledger as points
from tests.web.helpers import text_of


@pytest.fixture()
def ledger(make, merchant, owner):
    """Yesterday: 500 earned at 人民广场店, 120 used there, 35 added by hand at 徐家汇店 and 15 taken online; today:
    another 40 earned online."""
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    member = make.member(merchant)
    points.earn(db.session, merchant, member.id, 500, key="e1", store_id=one.id)
    points.spend(db.session, merchant, member.id, 120, key="s1", store_id=one.id)
    points.adjust(db.session, merchant, member.id, 35, key="a1", reason="补录", operator=owner, store_id=two.id)
    points.adjust(db.session, merchant, member.id, -15, key="a2", reason="扣减", operator=owner)
    db.session.execute(update(PointsTransaction).values(created_at=now_utc() - timedelta(days=1)))
    points.earn(db.session, merchant, member.id, 40, key="e2")
    db.session.commit()
    return dict(one=one, two=two, day=local_today(merchant.timezone) - timedelta(days=1))


def test_does_the_page_show_points_by_kind_store_and_day(as_owner, ledger):
    page = as_owner.get("/backoffice/reports/points")
    assert page.status_code == 200
    text = text_of(page)
    assert "人民广场店" in text and "徐家汇店" in text and "线上/未指定门店" in text
    assert "540" in text and "120" in text and "+35 / -15" in text and "440" in text  # issued, used, adjusted, net
    assert "手动调增" in text and "手动调减" in text and "使用" in text
    assert 'id="points-chart"' in text and ledger["day"].isoformat() in text

    only_two = text_of(as_owner.get(f"/backoffice/reports/points?store={ledger['two'].id}"))
    assert "+35 / -0" in only_two and "540" not in only_two


def test_do_the_exports_carry_each_day_and_a_total(as_owner, ledger):
    day = ledger["day"]
    csv = as_owner.get(f"/backoffice/reports/points?format=csv&start={day.isoformat()}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("日期,变动笔数,发放") and len(lines) == 1 + 2 + 1
    assert lines[1] == f"{day.isoformat()},4,500,0,120,0,35,15,0,0,535,135,400"
    assert lines[-1] == "合计,5,540,0,120,0,35,15,0,0,575,135,440"

    response = as_owner.get(f"/backoffice/reports/points?format=xlsx&store={ledger['one'].id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1] == ("合计", 2, 500, 0, 120, 0, 0, 0, 0, 0, 500, 120, 380)


def test_are_unreadable_dates_refused_and_another_merchants_store_not_found(as_owner, make):
    response = as_owner.get("/backoffice/reports/points?start=2026-02-30")
    assert response.status_code == 400 and "开始日期格式不正确" in text_of(response)
    assert as_owner.get("/backoffice/reports/points?end=%00").status_code == 400
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reports/points?store={store.id}").status_code == 404
    assert as_owner.get(f"/backoffice/reports/points?store={store.id}&format=xlsx").status_code == 404


def test_is_a_cashier_refused_the_points_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/points").status_code == 403
    assert client.get("/backoffice/reports/points?format=csv").status_code == 403
