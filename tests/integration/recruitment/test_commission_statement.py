"""The commission statement (提成明细) against PostgreSQL: a natural month in the merchant's timezone, every entry of
one staff member with its member's masked phone, base, rate and amount, totals per kind that add up, the month's
summary of every staff member, both as spreadsheets; another merchant's staff and entries never appear."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from domain import roles
from domain.errors import NotFound
from models.commission import CommissionEntry
from services.recruitment import commission_statement as statement
from services.shared import spreadsheets

TZ = "Asia/Shanghai"
DECEMBER = date(2026, 12, 1)


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="明细测试店", timezone=TZ)
    anna = make.staff(merchant, role=roles.GUIDE, username="s-anna")
    bo = make.staff(merchant, role=roles.CASHIER, username="s-bo")
    member = make.member(merchant, mobile="13812345678", name="王小明")
    other = make.merchant(name="别家店", timezone=TZ)
    stranger = make.staff(other, role=roles.GUIDE, username="s-stranger")
    db.session.commit()
    return dict(merchant=merchant, anna=anna, bo=bo, member=member, other=other, stranger=stranger)


def entry(db, merchant, staff, kind, amount, at, key, base=0, rate=None, member=None, note=None):
    db.session.add(CommissionEntry(merchant_id=merchant.id, staff_id=staff.id, kind=kind, amount=amount,
                                   base_amount=base, rate_bp=rate, member_id=member and member.id, key=key,
                                   note=note, created_at=at))


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture()
def ledger(db, shop):
    m, anna, bo, member = shop["merchant"], shop["anna"], shop["bo"], shop["member"]
    # 2026-11-30 16:30 UTC is 1 December 00:30 in Shanghai: December's; 2026-11-30 15:59 UTC is still November
    entry(db, m, anna, "new_member", 500, utc(2026, 11, 30, 16, 30), "k1", member=member, note="拉新会员")
    entry(db, m, anna, "topup", 200, utc(2026, 12, 5, 3), "k2", base=10000, rate=200, member=member)
    entry(db, m, anna, "reversal", -60, utc(2026, 12, 6, 3), "k3", base=10000, rate=200, member=member,
          note="=HYPERLINK(\"x\")")
    entry(db, m, anna, "card_sale", 999, utc(2026, 11, 30, 15, 59), "k4", base=33300, rate=300)  # November
    entry(db, m, bo, "guided_spend", 150, utc(2026, 12, 31, 15, 59), "k5", base=10000, rate=150)  # 31 Dec 23:59
    entry(db, m, bo, "guided_spend", 77, utc(2026, 12, 31, 16, 0), "k6", base=5133, rate=150)  # 1 January
    entry(db, shop["other"], shop["stranger"], "topup", 123456, utc(2026, 12, 10), "k1")
    db.session.commit()


def test_does_a_staff_members_month_list_their_entries_and_totals_that_add_up(db, shop, ledger):
    rows = db.session.scalars(statement.entries(shop["merchant"].id, shop["anna"].id, DECEMBER, TZ)).all()
    assert [e.key for e in rows] == ["k1", "k2", "k3"]
    totals = statement.staff_totals(db.session, shop["merchant"].id, shop["anna"].id, DECEMBER, TZ)
    assert (totals.by_kind["new_member"], totals.by_kind["topup"], totals.by_kind["reversal"]) == (500, 200, -60)
    assert (totals.net, totals.count) == (640, 3)
    assert statement.member_text(rows[0]) == "王小明 138****5678"
    assert [statement.rate_text(e) for e in rows] == ["按人", "2%", "2%"]


def test_does_the_months_summary_hold_each_staff_member_and_a_total(db, shop, ledger):
    summary = statement.month_summary(db.session, shop["merchant"].id, DECEMBER, TZ)
    assert [(s.staff_id, s.totals.net, s.totals.count) for s in summary] == [(shop["anna"].id, 640, 3),
                                                                             (shop["bo"].id, 150, 1)]
    total = statement.summary_total(summary)
    assert (total.net, total.count, total.by_kind["guided_spend"]) == (790, 4, 150)
    assert statement.month_summary(db.session, shop["merchant"].id, date(2026, 11, 1), TZ)[0].totals.net == 999


def test_do_the_spreadsheets_carry_the_same_figures_with_formulas_quoted(db, shop, ledger):
    lines = statement.statement_table(db.session, shop["merchant"].id, shop["anna"], DECEMBER, TZ)
    assert lines[1] == statement.STATEMENT_HEADER
    assert lines[2] == ("2026-12-01 00:30", "拉新", "王小明 138****5678", "", "按人", "5.00", "拉新会员")
    assert lines[4][-1].startswith("'=") and lines[-1][:6] == ("合计", "", "", "", "", "6.40")
    summary = statement.month_summary(db.session, shop["merchant"].id, DECEMBER, TZ)
    money = statement.summary_table(summary, spreadsheets.yuan_number)
    assert money[-1][0] == "合计" and money[-1][-2] == Decimal("7.90")
    assert spreadsheets.csv_bytes(statement.summary_table(summary)).startswith("\ufeff".encode())
    assert spreadsheets.xlsx_bytes("提成", money)[:2] == b"PK"


def test_is_another_merchants_staff_not_found_and_their_entries_never_counted(db, shop, ledger):
    with pytest.raises(NotFound):
        statement.staff_of(db.session, shop["merchant"].id, shop["stranger"].id)
    assert statement.staff_totals(db.session, shop["merchant"].id, shop["stranger"].id, DECEMBER, TZ).count == 0
    summary = statement.month_summary(db.session, shop["merchant"].id, DECEMBER, TZ)
    assert shop["stranger"].id not in {s.staff_id for s in summary}


def test_is_a_malformed_month_read_as_this_month(db):
    today = date(2026, 12, 7)
    for text in ("", "2026-13", "abcd-ef", "2026-1", "\x00", "99999-01", "1999-12"):
        assert statement.parse_month(text, TZ, today) == DECEMBER
    assert statement.parse_month("2025-02", TZ, today) == date(2025, 2, 1)
    months = statement.recent_months(TZ, today)
    assert months[0] == (DECEMBER, "2026年12月") and months[12][0] == date(2025, 12, 1)
    assert statement.month_bounds(DECEMBER, TZ) == (utc(2026, 11, 30, 16), utc(2026, 12, 31, 16))
