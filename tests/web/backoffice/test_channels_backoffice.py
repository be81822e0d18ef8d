"""Back office 渠道分析: the channel table and its kinds, the per-staff tab, a channel's members, the exports; who may
open them; another merchant's ids and bad input answered without a 500."""
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain import roles
from services.recruitment import channel_report, sources
from tests.integration.recruitment import channel_world
from tests.integration.recruitment.channel_world import FIRST, LAST, START, END
from tests.web.helpers import text_of

PERIOD = f"date_from={FIRST.isoformat()}&date_to={LAST.isoformat()}"
URL = "/backoffice/reports/channels"


@pytest.fixture()
def world(db, make):
    return channel_world.build(db, make, size=30)


@pytest.fixture()
def owner(login, world):
    return login(world.staff["owner"])


def report(db, world, store_id=None):
    from domain.channel_report import Period
    return channel_report.by_source(db.session, channel_report.scope_of(world.merchant, Period(FIRST, LAST), store_id))


def test_does_the_page_show_each_kind_each_channel_and_the_total_of_all_joins(db, world, owner):
    page = text_of(owner.get(f"{URL}?{PERIOD}"))
    rows = report(db, world)
    joins = sum(1 for j in world.joins if START <= j.at < END)
    total = re.search(r'id="channel-total"><td[^>]*>合计</td><td[^>]*>(\d+)</td>', page)
    assert total and int(total.group(1)) == joins
    for kind in ("门店码", "店员码", "推广渠道", "会员邀请", "营销活动", "群发消息", "店员帮办", "自然流量"):
        assert kind in page
    guide = world.sources["guide"]
    assert f'data-source-id="{guide.id}"' in page and "分享海报" in page and "老会员 的邀请" in page
    assert f"/backoffice/reports/channels/source/{guide.id}?" in page
    assert sum(row.figures.joins for row in rows) == joins
    assert f'href="{URL}"' in text_of(owner.get("/backoffice/")), "the menu lists 渠道分析 under 数据"


def test_do_kind_and_sort_pick_and_order_the_rows(db, world, owner):
    page = text_of(owner.get(f"{URL}?{PERIOD}&kind=staff&sort=money&dir=asc"))
    listed = [int(i) for i in re.findall(r'data-source-id="(\d+)" data-kind="staff"', page)]
    staff_rows = [row for row in report(db, world) if row.kind == "staff"]
    assert listed == [row.source_id for row in channel_report.ordered(staff_rows, "money", "asc")]
    assert 'data-kind="store"' not in page.split('id="channel-rows"')[1] and "小计" in page


def test_does_the_staff_tab_show_each_staff_member_with_their_recruits(db, world, owner):
    page = text_of(owner.get(f"{URL}/staff?{PERIOD}"))
    cashier = world.staff["cashier"]
    assert f'data-staff-id="{cashier.id}"' in page and "合计" in page
    assert f"/backoffice/reports/channels/staff/{cashier.id}?" in page


def test_does_a_channels_member_page_list_its_members_with_masked_phones(db, world, owner):
    source = world.sources["guide"]
    page = text_of(owner.get(f"{URL}/source/{source.id}?{PERIOD}"))
    members = [j for j in world.joins if j.source_id == source.id and START <= j.at < END]
    assert len(re.findall(r'data-member-id="\d+"', page)) == len(members) > 0
    assert re.search(r"1\d\d\*\*\*\*\d{4}", page) and source.name in page
    joins = re.search(r'id="channel-joins">(\d+)<', page)
    assert int(joins.group(1)) == len(members)
    for url in (f"{URL}/staff/{world.staff['cashier'].id}", f"{URL}/assisted/{world.staff['cashier'].id}",
                f"{URL}/natural"):
        assert owner.get(f"{url}?{PERIOD}").status_code == 200, url


def test_is_another_merchants_source_staff_or_store_a_404(db, make, world, owner):
    other = make.merchant(slug="other-shop")
    their_store = make.store(other)
    their_staff = make.staff(other, role=roles.GUIDE, stores_=[their_store])
    their_source = sources.for_staff(db.session, their_staff)
    db.session.commit()
    assert owner.get(f"{URL}/source/{their_source.id}").status_code == 404
    assert owner.get(f"{URL}/staff/{their_staff.id}").status_code == 404
    assert owner.get(f"{URL}/assisted/{their_staff.id}").status_code == 404
    assert owner.get(f"{URL}?store_id={their_store.id}").status_code == 404
    assert owner.get(f"{URL}/source/{10 ** 30}").status_code == 404


@pytest.mark.parametrize("query", [
    "date_from=2025-03-31&date_to=2025-03-01", "date_from=0001-01-01&date_to=9999-12-31", "date_from=2020-01-01",
    "date_from=2025-02-30", "store_id=abc", f"store_id={10 ** 40}", "kind=drop%20table", "sort=__class__&dir=up",
    f"page={10 ** 30}", "page=-3", "date_from=" + "9" * 500,
])
def test_is_bad_filter_input_answered_with_a_page(world, owner, query):
    response = owner.get(f"{URL}?{query}")
    assert response.status_code in (200, 404), query
    for path in ("/staff", "/natural", f"/source/{world.sources['guide'].id}", "/export.csv"):
        assert owner.get(f"{URL}{path}?{query}").status_code in (200, 404), (path, query)


def test_does_a_refused_period_say_why_and_show_the_last_30_days(world, owner):
    page = text_of(owner.get(f"{URL}?date_from=2025-03-31&date_to=2025-03-01"))
    assert "结束日期早于开始日期" in page and 'id="period-refused"' in page
    assert "一次最多查询 366 天" in text_of(owner.get(f"{URL}?date_from=2020-01-01&date_to=2025-01-01"))


def test_does_the_csv_hold_the_channels_and_their_total(db, world, owner):
    response = owner.get(f"{URL}/export.csv?{PERIOD}&sort=joins")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("类型,渠道,门店,店员,分享方式,入会,首次消费,首30天实付（元）")
    rows = report(db, world)
    assert len(lines) == len(rows) + 2 and lines[-1].startswith("合计,,,,,")
    assert lines[-1].split(",")[5] == str(channel_report.total(rows).joins)


def test_does_the_staff_xlsx_hold_exact_yuan(db, world, owner):
    response = owner.get(f"{URL}/export.xlsx?{PERIOD}&view=staff")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["店员", "入会", "首次消费"] and rows[-1][0] == "合计"
    from domain.channel_report import Period
    staff = channel_report.by_staff(db.session, channel_report.scope_of(world.merchant, Period(FIRST, LAST)))
    assert Decimal(str(rows[-1][3])) == Decimal(channel_report.total(staff).money) / 100


@pytest.mark.parametrize("role", [roles.CASHIER, roles.GUIDE, roles.CUSTOMER_SERVICE])
def test_is_a_role_without_reports_refused(db, make, login, world, role):
    person = make.staff(world.merchant, role=role, stores_=[world.stores[0]])
    db.session.commit()
    client = login(person)
    for path in ("", "/staff", "/export.csv", f"/source/{world.sources['guide'].id}", "/natural"):
        assert client.get(f"{URL}{path}").status_code == 403, path
    assert f'href="{URL}"' not in text_of(client.get("/backoffice/"))
