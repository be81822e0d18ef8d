"""Back office: verification records, per-store day totals, and CSV / XLSX exports."""
import io
import re
from datetime import UTC, datetime
from itertools import count as counter

import pytest
from openpyxl import load_workbook

from domain import roles
from extensions import db
from models import Verification
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.helpers import text_of

_keys = counter(1)


@pytest.fixture()
def shops(make, db, merchant):
    made = (make.store(merchant, name="东店"), make.store(merchant, name="西店"))
    db.session.commit()
    return made


def template(owner, title):
    made = coupon_templates.save_template(db.session, owner, None, kind="cash", title=title, amount_off=1000,
                                          validity_mode="relative", valid_days=30)
    db.session.commit()
    return made


def record(merchant, make, coupon, store, staff, at, amount, undone=False):
    """A verification at a given UTC moment, for a freshly claimed code."""
    member = make.member(merchant)
    db.session.flush()
    code = coupon_issue.claim(db.session, merchant, coupon.id, member.id, channel="h5", key=f"test:{next(_keys)}")
    row = Verification(merchant_id=merchant.id, coupon_code_id=code.id, instrument_name=coupon.title, method="scan",
                       store_id=store.id, staff_id=staff.id, member_id=member.id, amount_received=amount,
                       idempotency_key=f"verify:{next(_keys)}", created_at=at,
                       undone_at=at if undone else None, undone_by_id=staff.id if undone else None)
    db.session.add(row)
    db.session.commit()
    return row


def utc(day, hour):
    return datetime(2030, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture()
def ledger(make, merchant, owner, shops):
    """Two stores, two templates; 2030-03-10 in Shanghai is 03-09 16:00 to 03-10 16:00 UTC."""
    east, west = shops
    tea, cake = template(owner, "奶茶券"), template(owner, "蛋糕券")
    record(merchant, make, tea, east, owner, utc(10, 2), 1500)
    record(merchant, make, tea, east, owner, utc(10, 3), 2500)
    record(merchant, make, cake, west, owner, utc(10, 4), 800)
    record(merchant, make, cake, west, owner, utc(10, 5), 9900, undone=True)
    record(merchant, make, tea, west, owner, utc(10, 17), 100)  # 03-11 01:00 local: the next day
    record(merchant, make, cake, east, owner, utc(9, 15), 700)  # 03-09 23:00 local: the day before
    return {"east": east, "west": west, "tea": tea, "cake": cake}


def test_does_the_page_list_every_record_and_mark_undone_ones(as_owner, ledger):
    page = text_of(as_owner.get("/backoffice/verifications"))
    assert page.count("奶茶券") >= 3 and "已撤销" in page and "99.00" in page


def test_do_date_filters_use_the_merchants_local_days(as_owner, ledger):
    page = text_of(as_owner.get("/backoffice/verifications?date_from=2030-03-10&date_to=2030-03-10"))
    assert "15.00" in page and "25.00" in page and "8.00" in page
    assert "7.00" not in page and "1.00" not in page.replace("01.00", "")


def test_do_store_and_template_filters_narrow_the_records(as_owner, ledger):
    page = text_of(as_owner.get(f"/backoffice/verifications?store_id={ledger['west'].id}"
                                f"&template_id={ledger['cake'].id}"))
    assert "8.00" in page and "99.00" in page and "15.00" not in page and "25.00" not in page


def test_are_a_days_totals_per_store_counted_without_undone_records(as_owner, ledger):
    page = text_of(as_owner.get("/backoffice/verifications?day=2030-03-10"))
    totals = page.split("各门店汇总")[1].split("</table>")[0]
    assert "东店" in totals and re.search(r"<td[^>]*>2</td><td[^>]*>40.00</td>", totals.replace("\n", ""))
    assert "西店" in totals and re.search(r"<td[^>]*>1</td><td[^>]*>8.00</td>", totals.replace("\n", ""))


def test_does_the_csv_export_have_a_bom_a_header_and_the_filtered_rows(as_owner, ledger):
    response = as_owner.get(f"/backoffice/verifications.csv?store_id={ledger['east'].id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("核销时间,门店,员工,类型,名称,券/卡码")
    assert len(lines) == 1 + 3 and all("东店" in line for line in lines[1:])


def test_does_the_xlsx_export_open_with_openpyxl_and_keep_the_filters(as_owner, ledger):
    response = as_owner.get("/backoffice/verifications.xlsx?date_from=2030-03-10&date_to=2030-03-10")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "核销时间" and len(rows) == 1 + 4
    assert sum(1 for row in rows[1:] if row[-1] == "已撤销") == 1


def test_are_records_paginated(as_owner, app, ledger):
    app.config["VERIFICATIONS_PER_PAGE"] = 2
    try:
        page = text_of(as_owner.get("/backoffice/verifications?page=2"))
        assert "第 2 / 3 页" in page
    finally:
        app.config.pop("VERIFICATIONS_PER_PAGE")


def test_do_store_bound_staff_see_only_their_stores_records(sign_in_as, client, ledger):
    sign_in_as(roles.CASHIER, stores_=[ledger["west"]])
    page = text_of(client.get("/backoffice/verifications"))
    assert "8.00" in page and "15.00" not in page and "25.00" not in page
    page = text_of(client.get(f"/backoffice/verifications?store_id={ledger['east'].id}"))
    assert "15.00" not in page
    lines = client.get("/backoffice/verifications.csv").data.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 and not any("东店" in line for line in lines[1:])


def test_are_another_merchants_records_never_shown(as_owner, make, ledger):
    other = make.merchant(name="别家")
    boss = make.staff(other, role=roles.OWNER)
    shop = make.store(other, name="别家店")
    db.session.commit()
    record(other, make, template(boss, "别家券"), shop, boss, utc(10, 6), 4200)
    page = text_of(as_owner.get("/backoffice/verifications"))
    assert "别家券" not in page and "42.00" not in page


def test_is_a_verifier_without_member_access_refused_the_records(sign_in_as, client):
    sign_in_as(roles.VERIFIER)
    assert client.get("/backoffice/verifications").status_code == 403


def test_does_the_export_name_the_api_key_when_a_till_verified(as_owner, make, merchant, owner, shops):
    from models import ApiKey

    key = ApiKey(merchant_id=merchant.id, name="收银机1", prefix="abcdef12", secret_hash="0" * 64)
    db.session.add(key)
    db.session.flush()
    row = record(merchant, make, template(owner, "API券"), shops[0], owner, utc(10, 2), 300)
    row.staff_id, row.api_key_id, row.method = None, key.id, "api"
    db.session.commit()
    lines = as_owner.get("/backoffice/verifications.csv").data.decode("utf-8-sig").splitlines()
    assert any("接口：收银机1" in line and "优惠券" in line and "API券" in line for line in lines[1:])


@pytest.mark.parametrize("value, expected", [
    ("12", (12, None)), ("coupon:12", (12, None)), ("card:5", (None, 5)), ("card:x", (None, None)),
    ("other:3", (None, None)), ("", (None, None)), ("-1", (None, None)),
])
def test_is_the_template_filter_value_parsed_for_coupons_and_cards(value, expected):
    from services.verification.reports import parse_template_choice

    assert parse_template_choice(value) == expected
