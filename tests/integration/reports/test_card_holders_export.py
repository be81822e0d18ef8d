"""The timed-card holders' export at scale: 100,000 generated holders leave the back office as CSV and XLSX while
they are read (keyset batches, a streamed response, openpyxl's write-only workbook in a temporary file), every row
once, none of another merchant's, with the memory the request takes bounded far below what holding the rows would."""
import csv
import io
import itertools
import tempfile
import tracemalloc

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from domain import roles
from services.cards import count_timed_templates
from services.reports import card_holders
from tests import factories

ROWS = 100_000
OTHER_ROWS = 2_000
SAMPLE = 10_000


def generate(db, merchant, template, store, count, name):
    """`count` members of `merchant` called `name`, each holding one running timed card of `template`, every
    other one belonging to `store`: one INSERT … SELECT each, as the bench builds data."""
    db.session.execute(text(
        "INSERT INTO members (merchant_id, mobile, name, gender, custom_fields, status, points_balance, total_spend,"
        " total_topup, visit_count, growth, home_store_id, created_at)"
        " SELECT :merchant, '1' || lpad((:base + g)::text, 10, '0'), :name || g, 'unknown', '{}', 'active', 0, 0, 0,"
        " 0, 0, CASE WHEN g % 2 = 0 THEN CAST(:store AS integer) END, now() FROM generate_series(1, :count) g"),
        {"merchant": merchant.id, "name": name, "count": count, "base": merchant.id * 10 ** 7, "store": store.id})
    db.session.execute(text(
        "INSERT INTO cards (merchant_id, template_id, kind, member_id, code, state, channel, idempotency_key,"
        " tier_key, days, starts_at, ends_at, created_at)"
        " SELECT :merchant, :template, 'timed', m.id, 'T' || lpad(m.id::text, 15, '0'), 'active', 'purchase',"
        " 'gen:' || m.id, :tier, 30, now() - interval '1 day', now() + (1 + m.id % 300) * interval '1 day', now()"
        " FROM members m WHERE m.merchant_id = :merchant"),
        {"merchant": merchant.id, "template": template.id, "tier": template.tiers[0]["key"]})
    db.session.commit()


@pytest.fixture()
def shops(db, make):
    merchant, other = make.merchant(name="十万持卡"), make.merchant(slug="next-door", name="隔壁")
    owner, other_owner = make.staff(merchant, role=roles.OWNER), make.staff(other, role=roles.OWNER)
    store, other_store = make.store(merchant, "总店"), make.store(other, "隔壁店")
    db.session.flush()
    tiers = [{"label": "月卡", "days": 30, "price": 9900}]
    template = count_timed_templates.save_template(db.session, owner, None, kind="timed", title="健身卡", tiers=tiers)
    theirs = count_timed_templates.save_template(db.session, other_owner, None, kind="timed", title="隔壁卡",
                                                 tiers=tiers)
    db.session.commit()
    generate(db, merchant, template, store, ROWS, "本店会员")
    generate(db, other, theirs, other_store, OTHER_ROWS, "隔壁会员")
    yield dict(merchant=merchant, owner=owner, store=store)
    # Emptied here at once: the tables' row-by-row DELETE would check the cards' own foreign keys (extensions,
    # transfers: no index, nothing in production ever deletes cards) for each of the 100,000 rows.
    db.session.rollback()
    db.session.execute(text("TRUNCATE cards, members CASCADE"))
    db.session.commit()


@pytest.fixture()
def owner_client(client, login, shops):
    login(shops["owner"], factories.PASSWORD)
    return client


def holding_estimate(db, merchant):
    """What holding every row in a list would take: SAMPLE rows measured, scaled to ROWS."""
    tracemalloc.start()
    try:
        held = list(itertools.islice(card_holders.timed_rows(db.session, merchant), SAMPLE))
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(held) == SAMPLE
    return size * ROWS // SAMPLE


def streamed(client, url, sink):
    """Read the response chunk by chunk into `sink` while tracemalloc watches; (status, peak bytes)."""
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        for chunk in response.response:
            sink.write(chunk)
        response.close()
        return response.status_code, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.timeout(600)
def test_do_100000_holders_export_streamed_in_bounded_memory_as_csv_and_whole_as_xlsx(db, shops, owner_client):
    """One generated set for the three checks: 100,000 rows take a few seconds to make and to empty."""
    estimate = holding_estimate(db, shops["merchant"])
    assert estimate > 40 * 1024 * 1024  # what a list of the rows would hold

    with tempfile.TemporaryFile() as sink:
        status, peak = streamed(owner_client, "/backoffice/reports/cards/timed-holders?format=csv", sink)
        sink.seek(0)
        rows = list(csv.reader(io.StringIO(sink.read().decode("utf-8-sig"))))
    assert status == 200 and peak < estimate / 8, (peak, estimate)
    assert rows[0] == card_holders.TIMED_HEADER and len(rows) == ROWS + 1
    assert len({row[0] for row in rows[1:]}) == ROWS  # each holder once
    assert not any(row[0].startswith("隔壁会员") for row in rows)
    assert all("****" in row[1] for row in rows[1:])  # masked phones
    del rows

    # The XLSX is written by the same write-only writer whose memory tests/integration/points/
    # test_points_lookup_export.py bounds; under tracemalloc it runs ten times slower, so here only its rows.
    with tempfile.TemporaryFile() as sink:
        response = owner_client.get("/backoffice/reports/cards/timed-holders?format=xlsx", buffered=False)
        for chunk in response.response:
            sink.write(chunk)
        response.close()
        status = response.status_code
        sink.seek(0)
        book = load_workbook(sink, read_only=True)
        count = ours = other = 0
        for row in book.active.iter_rows(values_only=True):
            count += 1
            ours += str(row[0]).startswith("本店会员")
            other += str(row[0]).startswith("隔壁会员")
        book.close()
    assert status == 200 and count == ROWS + 1 and ours == ROWS and other == 0

    by_store = card_holders.timed_rows(db.session, shops["merchant"], store_id=shops["store"].id)
    assert next(by_store) == card_holders.TIMED_HEADER and sum(1 for _ in by_store) == ROWS // 2
