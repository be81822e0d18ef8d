"""积分查询's export at scale: 100,000 generated points changes leave as CSV while they are read, with the memory
the export takes bounded far below what holding them would need, and none of another merchant's rows. The XLSX is
the same rows through the write-only writer every export shares: its rows are checked over 10,000 changes and its
memory by growth (100,000 rows through that writer, read back whole, are in tests/integration/reports/
test_card_holders_export.py)."""
import csv
import io
import itertools
import tracemalloc
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from domain.clock import local_today
from services.points import lookup
from services.shared import spreadsheets

ROWS = 100_000
XLSX_ROWS = 10_000
MEMBERS = 50
# Holding 100,000 rows of ten values (Python objects and their texts) would take well over 100 MB.
MEMORY_CEILING = 25 * 1024 * 1024


def generate(db, merchant, count, name, key_prefix):
    """`count` changes of `merchant` spread over the last 23 days, over MEMBERS members called `name`: one
    INSERT ... SELECT each, as the bench builds data."""
    db.session.execute(text(
        "INSERT INTO members (merchant_id, mobile, name, gender, custom_fields, status, points_balance, total_spend,"
        " total_topup, visit_count, growth, created_at)"
        " SELECT :merchant, '1' || lpad((:base + g)::text, 10, '0'), :name, 'unknown', '{}', 'active', 0, 0, 0, 0, 0,"
        " now() FROM generate_series(1, :members) g"),
        {"merchant": merchant.id, "name": name, "members": MEMBERS, "base": merchant.id * 1000})
    db.session.execute(text(
        "INSERT INTO points_transactions (merchant_id, member_id, kind, amount, balance_after, idempotency_key, note,"
        " created_at)"
        " SELECT :merchant, m.ids[1 + g % :members], 'earn', 1 + g % 97, g, :prefix || g, '生成的积分变动',"
        " now() - g * interval '20 seconds'"
        " FROM generate_series(1, :count) g,"
        " (SELECT array_agg(id ORDER BY id) AS ids FROM members WHERE merchant_id = :merchant) m"),
        {"merchant": merchant.id, "members": MEMBERS, "count": count, "prefix": key_prefix})
    db.session.commit()


def two_shops(db, make, rows):
    """A merchant with `rows` changes over the last 23 days beside another with 2,000: (merchant, 30 days' filter)."""
    merchant, other = make.merchant(name="十万积分"), make.merchant(name="隔壁")
    db.session.commit()
    generate(db, merchant, rows, "本店会员", "gen:")
    generate(db, other, 2_000, "隔壁会员", "other:")
    today = local_today(merchant.timezone)
    return merchant, lookup.filters(today - timedelta(days=29), today)


@pytest.fixture()
def shops(db, make):
    return two_shops(db, make, ROWS)


@pytest.fixture()
def smaller_shops(db, make):
    return two_shops(db, make, XLSX_ROWS)


def peak_while(work):
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_does_the_csv_of_100000_changes_stream_in_bounded_memory_with_no_other_merchants_row(db, shops):
    merchant, wanted = shops

    def export():
        lines = other = 0
        for chunk in spreadsheets.csv_stream(lookup.export_rows(db.session, merchant, wanted)):
            text_ = chunk.decode("utf-8")
            lines += text_.count("\n")
            other += text_.count("隔壁会员")
        return lines, other

    (lines, other), peak = peak_while(export)
    assert lines == ROWS + 1 and other == 0
    assert peak < MEMORY_CEILING, f"the export held {peak / 1e6:.1f} MB"


def test_does_the_xlsx_hold_every_change_and_none_of_another_merchant(db, smaller_shops):
    merchant, wanted = smaller_shops
    with spreadsheets.xlsx_file("积分查询", lookup.export_rows(db.session, merchant, wanted)) as spooled:
        book = load_workbook(spooled, read_only=True)
        rows = book.active.iter_rows(values_only=True)
        assert next(rows) == lookup.EXPORT_HEADER
        count = other = 0
        for row in rows:
            count += 1
            other += row[1] != "本店会员"
        book.close()
    assert count == XLSX_ROWS and other == 0


def test_does_the_xlsx_writer_take_no_more_memory_for_ten_times_the_rows(db, smaller_shops):
    """openpyxl under tracemalloc is slow (a minute for 100,000 rows), so the bound is shown by growth: ten times
    the rows take about the same memory as a tenth of them."""
    merchant, wanted = smaller_shops

    def export(count):
        every = lookup.export_rows(db.session, merchant, wanted)
        try:
            rows = itertools.islice(every, count + 1)
            return peak_while(lambda: spreadsheets.xlsx_file("积分查询", rows).close())[1]
        finally:
            every.close()

    small, large = export(500), export(5_000)
    assert large < small * 2 + 1024 * 1024, f"{small / 1e6:.1f} MB for 500 rows, {large / 1e6:.1f} MB for 5,000"


def test_do_the_export_rows_match_the_pages(db, make):
    merchant = make.merchant(name="小店")
    db.session.commit()
    generate(db, merchant, 120, "小店会员", "few:")
    today = local_today(merchant.timezone)
    wanted = lookup.filters(today - timedelta(days=29), today)
    exported = list(csv.reader(io.StringIO(b"".join(spreadsheets.csv_stream(
        lookup.export_rows(db.session, merchant, wanted))).decode("utf-8-sig"))))
    shown, cursor = [], None
    while True:
        page = lookup.page(db.session, merchant, wanted, cursor=cursor)
        shown += page.rows
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert exported[0] == list(lookup.EXPORT_HEADER) and len(exported) == 121
    assert [(r[2], int(r[5])) for r in exported[1:]] == [(row.mobile, row.amount) for row in shown]
