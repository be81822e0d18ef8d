"""Rows written with plain statements (services/plain_rows.py) and the merchant row remembered per process: the
session holds what the database holds, and the unit of work has nothing left to write."""
import pytest
from sqlalchemy import event, select

from domain.errors import NotFound
from models import Member, Merchant, Store
from services import merchant_memory, merchants, plain_rows


@pytest.fixture()
def statements(db):
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_is_an_inserted_row_persistent_with_its_defaults_and_the_same_as_the_database(db, make):
    shop = make.merchant()
    db.session.flush()
    store = plain_rows.insert_row(db.session, Store, {"merchant_id": shop.id, "name": "东门店"})
    assert store in db.session and store.id and store.active is True  # the column's default, given in Python
    assert not db.session.new and not db.session.dirty
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "东门店"


def test_does_writing_a_rows_changes_send_only_what_changed_and_leave_it_clean(db, make, statements):
    shop = make.merchant()
    member = make.member(shop)
    db.session.commit()
    member.visit_count  # loaded after the commit
    statements.clear()
    seen = statements
    member.visit_count += 1
    member.points_balance = member.points_balance  # set to the same value: not written
    plain_rows.write_changes(db.session, member)
    assert len(seen) == 1 and "visit_count" in seen[0] and "points_balance" not in seen[0]
    assert not db.session.dirty
    db.session.commit()
    assert db.session.scalar(select(Member.visit_count).where(Member.id == member.id)) == 1


def test_is_the_merchant_remembered_across_requests_and_forgotten_when_this_process_changes_it(db, make,
                                                                                               statements):
    shop = make.merchant(name="旧名")
    db.session.commit()
    merchant_id = shop.id
    db.session.remove()
    assert merchants.remembered(db.session, merchant_id).name == "旧名"
    db.session.remove()  # the next request: a new session
    statements.clear()
    seen = statements
    remembered = merchants.remembered(db.session, merchant_id)
    assert remembered.name == "旧名" and seen == []  # no query
    assert merchants.remembered(db.session, merchant_id) is remembered  # one row per session
    remembered.name = "新名"
    db.session.commit()  # a flush that writes the merchant row forgets it in this process
    db.session.remove()
    assert merchants.remembered(db.session, merchant_id).name == "新名"
    assert db.session.get(Merchant, merchant_id).name == "新名"


def test_is_a_missing_merchant_not_found(db):
    merchant_memory.forget_all()
    with pytest.raises(NotFound):
        merchants.remembered(db.session, 999)
