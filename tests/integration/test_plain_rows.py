"""Rows written with plain statements (services/shared/plain_rows.py) and the merchant row remembered per process: the
session holds what the database holds, and the unit of work has nothing left to write."""
import pytest
from sqlalchemy import event, select

from domain.errors import NotFound
from models import Member, Merchant, Store
from services.shared import merchant_memory, plain_rows
from services.merchant import merchants


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


@pytest.fixture(params=["postgresql", "sqlite"])
def session_on(request, tmp_path):
    """A session on the test PostgreSQL database, or on a fresh SQLite file with the same tables: the statements
    differ (PostgreSQL's one statement, SQLite's several), what they leave must not."""
    if request.param == "postgresql":
        db = request.getfixturevalue("db")
        yield db.session
        return
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    import app  # noqa: F401  (SQLite's foreign keys are switched on for every connection)
    from models.base import Base

    engine = create_engine(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def member_of_new_shop(session):
    from tests.factories import Factories

    make = Factories(session)
    member = make.member(make.merchant(with_levels=False))
    session.flush()
    return member


def transaction_values(member, key, amount=50):
    from domain.clock import now_utc

    return dict(merchant_id=member.merchant_id, member_id=member.id, kind="earn", amount=amount,
                balance_after=amount, idempotency_key=key, created_at=now_utc())


def test_is_a_row_inserted_with_its_children_in_the_database_and_in_the_session(session_on):
    from domain.clock import now_utc
    from models import PointsLot, PointsTransaction

    session = session_on
    member = member_of_new_shop(session)
    lot = dict(merchant_id=member.merchant_id, member_id=member.id, amount=50, remaining=50, expires_at=now_utc(),
               created_at=now_utc())
    lots = [lot, {**lot, "amount": 7, "remaining": 7}]
    txn = plain_rows.insert_with_children(session, PointsTransaction, transaction_values(member, "k1"),
                                          children=(PointsLot, "transaction_id", lots))
    assert txn in session and txn.id and not session.new and not session.dirty
    lots = session.scalars(select(PointsLot).where(PointsLot.transaction_id == txn.id)
                           .order_by(PointsLot.amount)).all()
    assert [(x.amount, x.remaining, x.member_id) for x in lots] == [(7, 7, member.id), (50, 50, member.id)]


def test_does_a_gate_that_changes_no_row_leave_nothing_inserted(session_on):
    from sqlalchemy import bindparam, update

    from domain.clock import now_utc
    from models import PointsLot, PointsTransaction

    session = session_on
    member = member_of_new_shop(session)
    gate = (update(Member).where(Member.id == bindparam("member_id"), Member.status == bindparam("wanted"))
            .values(visit_count=Member.visit_count + 1).returning(Member.id))
    lot = dict(merchant_id=member.merchant_id, member_id=member.id, amount=50, remaining=50, expires_at=now_utc(),
               created_at=now_utc())
    children = (PointsLot, "transaction_id", [lot])
    shut = plain_rows.insert_with_children(session, PointsTransaction, transaction_values(member, "shut"),
                                           children=children, gates=[(gate, {"member_id": member.id, "wanted": "x"})])
    assert shut is None
    assert session.scalar(select(PointsTransaction.id).where(PointsTransaction.member_id == member.id)) is None
    assert session.scalar(select(PointsLot.id).where(PointsLot.member_id == member.id)) is None

    opened = plain_rows.insert_with_children(session, PointsTransaction, transaction_values(member, "open"),
                                             children=children,
                                             gates=[(gate, {"member_id": member.id, "wanted": member.status})])
    assert opened is not None
    assert session.scalar(select(Member.visit_count).where(Member.id == member.id)) == member.visit_count + 1
    assert session.scalar(select(PointsLot.transaction_id).where(PointsLot.member_id == member.id)) == opened.id


def test_are_several_rows_changes_written_and_left_clean(session_on):
    from models import Merchant as Shop

    session = session_on
    member = member_of_new_shop(session)
    shop = session.get(Shop, member.merchant_id)
    member.visit_count += 2
    shop.name = "改名商户"
    plain_rows.write_changes(session, member, shop)
    assert not session.dirty
    session.expire_all()
    assert (session.get(Member, member.id).visit_count, session.get(Shop, shop.id).name) == (2, "改名商户")


def test_does_one_closed_gate_among_several_stop_the_insert(session_on):
    from sqlalchemy import bindparam, update

    from models import PointsTransaction

    session = session_on
    member = member_of_new_shop(session)

    def gate(n, status):
        statement = (update(Member).where(Member.id == bindparam(f"id_{n}"), Member.status == bindparam(f"s_{n}"))
                     .values(visit_count=Member.visit_count + 1).returning(Member.id))
        return statement, {f"id_{n}": member.id, f"s_{n}": status}

    shut = plain_rows.insert_with_children(session, PointsTransaction, transaction_values(member, "two"),
                                           gates=[gate(0, member.status), gate(1, "x")])
    assert shut is None
    assert session.scalar(select(PointsTransaction.id).where(PointsTransaction.member_id == member.id)) is None
