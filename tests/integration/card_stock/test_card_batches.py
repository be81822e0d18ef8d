"""Making physical member card batches (制卡): unique numbers in the merchant's number space, encrypted PINs, a
large batch made by the job chunk by chunk (10,000 cards in seconds), counts per state, the printing file."""
import csv
import io
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from domain import card_stock as rules
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import AuditLog, MemberCardBatch, MemberCardStock
from services.card_stock import batches, numbers, printing
from services.members import members


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    cashier = make.staff(merchant, role="cashier")
    other = make.merchant()
    other_owner = make.staff(other, role="owner")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, cashier=cashier, other=other, other_owner=other_owner)


def make_batch(db, actor, quantity=20, **options):
    values = dict(name="首批会员卡", quantity=quantity, prefix="", with_track=True, with_barcode=True, with_pin=True)
    values.update(options)
    batch = batches.make_batch(db.session, actor, **values)
    db.session.commit()
    return batch


def cards_of(db, batch):
    db.session.expire_all()
    return db.session.scalars(select(MemberCardStock).where(MemberCardStock.batch_id == batch.id)).all()


def test_does_a_batch_get_unique_checked_numbers_and_encrypted_pins(db, shop):
    batch = make_batch(db, shop["owner"], 300, prefix="vip")
    cards = cards_of(db, batch)
    assert (batch.status, batch.made, batch.prefix) == ("done", 300, "VIP")
    assert len(cards) == 300 and {c.state for c in cards} == {"made"}
    assert len({c.card_no for c in cards}) == len({c.track_no for c in cards}) == len({c.barcode for c in cards}) == 300
    assert all(rules.card_no_valid(c.card_no, "VIP") and len(c.card_no) == 15 for c in cards)
    assert all(len(c.track_no) == 18 and c.barcode.startswith("2") and len(c.barcode) == 13 for c in cards)
    assert all(rules.ean13_digit(c.barcode[:12]) == c.barcode[-1] for c in cards)
    assert all(len(c.pin) == 6 and c.pin.isdigit() for c in cards)
    stored = db.session.execute(text("SELECT pin FROM member_card_stock WHERE id = :id"), {"id": cards[0].id}).scalar()
    assert cards[0].pin not in stored  # encrypted at rest
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.target_type == "member_card_batch")) == \
        "card_stock.batch_make"


def test_does_a_batch_without_options_carry_only_card_numbers(db, shop):
    batch = make_batch(db, shop["owner"], 5, with_track=False, with_barcode=False, with_pin=False)
    cards = cards_of(db, batch)
    assert all(c.track_no is None and c.barcode is None and c.pin is None for c in cards)
    assert all(len(c.card_no) == 12 for c in cards)  # never 11 digits: the till never reads it as a mobile


@pytest.mark.parametrize("values, message", [
    (dict(quantity=0), "制卡数量须在 1 到 50,000 张之间"),
    (dict(quantity=50_001), "制卡数量须在 1 到 50,000 张之间"),
    (dict(quantity=True), "制卡数量"),
    (dict(name=""), "批次名称不能为空"),
    (dict(name="卡" * 41), "批次名称不能为空"),
    (dict(prefix="AB-1"), "卡号前缀只能是"),
    (dict(prefix="123456789"), "卡号前缀只能是"),
    (dict(prefix="卡"), "卡号前缀只能是"),
])
def test_is_a_bad_batch_refused_with_nothing_made(db, shop, values, message):
    with pytest.raises(DomainError, match=message):
        make_batch(db, shop["owner"], **values)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MemberCardBatch)) == 0


def test_may_only_owners_and_admins_make_batches(db, shop):
    with pytest.raises(PermissionDenied):
        make_batch(db, shop["cashier"])


def test_are_numbers_new_against_bound_cards_and_other_batches(db, shop, monkeypatch):
    member = members.create_member(db.session, shop["merchant"].id, mobile="13900000001")
    members.bind_identity(db.session, member, "card_no", "100000000008")  # bound before there was stock
    db.session.commit()
    drawn = iter(["100000000008", "100000000008", "200000000007", "300000000006"])
    monkeypatch.setattr(rules, "new_card_no", lambda prefix="": next(drawn))
    first = make_batch(db, shop["owner"], 2, with_track=False, with_barcode=False, with_pin=False)
    assert sorted(c.card_no for c in cards_of(db, first)) == ["200000000007", "300000000006"]
    drawn = iter(["300000000006", "400000000005"])  # the first batch's number is drawn again: skipped
    second = make_batch(db, shop["owner"], 1, with_track=False, with_barcode=False, with_pin=False)
    assert [c.card_no for c in cards_of(db, second)] == ["400000000005"]


def test_are_ten_thousand_cards_made_by_the_job_in_seconds_and_counted(db, shop):
    started = time.perf_counter()
    batch = make_batch(db, shop["owner"], 10_000)  # above INLINE_MAX: the job runs (inline without Redis)
    elapsed = time.perf_counter() - started
    db.session.expire_all()
    batch = db.session.get(MemberCardBatch, batch.id)
    assert (batch.status, batch.made) == ("done", 10_000)
    assert elapsed < 10, f"10,000 cards took {elapsed:.1f} s"
    assert batches.state_counts(db.session, shop["merchant"].id, [batch.id])[batch.id]["made"] == 10_000
    assert db.session.scalar(select(func.count(func.distinct(MemberCardStock.card_no)))) == 10_000


def test_does_a_stopped_job_resume_without_making_a_card_twice(db, shop, monkeypatch):
    monkeypatch.setattr(rules, "CHUNK", 400)
    batch = MemberCardBatch(merchant_id=shop["merchant"].id, name="大批", quantity=1000, prefix="", with_track=True,
                            with_barcode=False, with_pin=False, status="making", made=0)
    db.session.add(batch)
    db.session.commit()
    assert batches.make_chunk(db.session, batch.id) is True
    db.session.commit()
    batches.mark_failed(db.session, batch.id, RuntimeError("worker killed"))
    db.session.commit()
    assert (batch.status, batch.made, batch.failure) == ("failed", 400, "worker killed")
    while batches.make_chunk(db.session, batch.id):
        db.session.commit()
    db.session.commit()
    assert (batch.status, batch.made, len(cards_of(db, batch))) == ("done", 1000, 1000)
    assert batches.make_chunk(db.session, batch.id) is False and len(cards_of(db, batch)) == 1000


def test_are_counts_per_state_and_totals_per_merchant(db, shop):
    batch = make_batch(db, shop["owner"], 6)
    make_batch(db, shop["other_owner"], 3)
    cards = sorted(cards_of(db, batch), key=lambda c: c.card_no)
    db.session.execute(text("UPDATE member_card_stock SET state = 'issued' WHERE id = :id"), {"id": cards[0].id})
    db.session.commit()
    counts = batches.state_counts(db.session, shop["merchant"].id, [batch.id])[batch.id]
    assert (counts["made"], counts["issued"], counts["active"]) == (5, 1, 0)
    assert batches.totals(db.session, shop["merchant"].id)["made"] == 5
    page = db.session.scalars(batches.cards_query(shop["merchant"].id, batch.id, "issued")).all()
    assert [c.id for c in page] == [cards[0].id]
    found = db.session.scalars(batches.cards_query(shop["merchant"].id, batch.id, None, cards[1].barcode)).all()
    assert [c.id for c in found] == [cards[1].id]
    assert db.session.scalars(batches.cards_query(shop["other"].id, batch.id)).all() == []


def test_does_the_printing_file_hold_every_card_and_record_who_exported_it(db, shop):
    batch = make_batch(db, shop["owner"], 30)
    exported, header, rows = printing.export_rows(db.session, shop["owner"], batch.id, fmt="csv", ip="10.0.0.1")
    db.session.commit()
    cards = {c.card_no: c for c in cards_of(db, batch)}
    assert header == ("卡号", "磁条号", "条码", "密码") and len(rows) == 30
    assert [r[0] for r in rows] == sorted(cards)
    assert all((r[1], r[2], r[3]) == (cards[r[0]].track_no, cards[r[0]].barcode, cards[r[0]].pin) for r in rows)
    parsed = list(csv.reader(io.StringIO(printing.csv_bytes(header, rows).decode("utf-8-sig"))))
    assert parsed[0] == list(header) and parsed[1][3] == "\t" + rows[0][3]
    sheet = load_workbook(io.BytesIO(printing.xlsx_bytes(header, rows))).active
    assert sheet.cell(2, 1).value == rows[0][0] and sheet.cell(2, 1).number_format == "@"
    db.session.expire_all()
    batch = db.session.get(MemberCardBatch, batch.id)
    assert batch.exported_by_id == shop["owner"].id and batch.exported_at is not None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "card_stock.batch_export")).one()
    assert (entry.staff_id, entry.ip, entry.after) == (shop["owner"].id, "10.0.0.1", {"format": "csv", "rows": 30})


def test_is_the_printing_file_refused_to_others_and_before_the_batch_is_done(db, shop):
    batch = make_batch(db, shop["owner"], 3)
    with pytest.raises(PermissionDenied):
        printing.export_rows(db.session, shop["cashier"], batch.id, fmt="csv")
    with pytest.raises(NotFound):
        printing.export_rows(db.session, shop["other_owner"], batch.id, fmt="csv")
    db.session.execute(text("UPDATE member_card_batches SET status = 'making' WHERE id = :id"), {"id": batch.id})
    db.session.expire_all()
    with pytest.raises(Conflict, match="还在制卡中"):
        printing.export_rows(db.session, shop["owner"], batch.id, fmt="xlsx")


def test_does_a_number_resolve_by_print_stripe_or_barcode_only_at_its_merchant(db, shop):
    batch = make_batch(db, shop["owner"], 2)
    card = cards_of(db, batch)[0]
    merchant_id = shop["merchant"].id
    assert numbers.find(db.session, merchant_id, card.card_no).id == card.id
    assert numbers.find(db.session, merchant_id, f";{card.track_no}?").id == card.id  # as a stripe reader types it
    assert numbers.find(db.session, merchant_id, card.barcode).id == card.id
    assert numbers.find(db.session, shop["other"].id, card.card_no) is None
    assert numbers.printed_number(db.session, merchant_id, card.barcode) == card.card_no
    with pytest.raises(DomainError, match="卡号只能是"):
        numbers.find(db.session, merchant_id, "12\x0034")
