"""Every ledger row kind is written one way (services/shared/ledger_rows.py): one statement built from the model's
table, on PostgreSQL and SQLite alike; a taken key answers with the earlier row and leaves the transaction usable;
a closed gate writes nothing; what is left in the session is what the database holds."""
import re

import pytest
from sqlalchemy import bindparam, create_engine, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.clock import now_utc
from models import (Checkout, Member, Merchant, PointsAllocation, PointsLot, PointsTransaction, Verification, WalletPosting,
                    WalletTransaction)
from models.base import Base
from models.checkout import CheckoutRefund
from models.rewards import RewardGrant
from services.shared import ledger_rows
from tests.factories import Factories
from tests.integration.helpers import run_concurrently

LEDGER_KINDS = [  # (model, its children as ledger_rows takes them, or None)
    (Checkout, None), (CheckoutRefund, None), (RewardGrant, None), (Verification, None),
    (PointsTransaction, (PointsLot, "transaction_id")), (PointsTransaction, (PointsAllocation, "transaction_id")),
    (WalletTransaction, (WalletPosting, "transaction_id")),
]


@pytest.fixture(params=["postgresql", "sqlite"])
def session_on(request, tmp_path):
    """A session on the test PostgreSQL database, or on a fresh SQLite file with the same tables: the statements
    differ (PostgreSQL's one statement, SQLite's several), what they leave must not."""
    if request.param == "postgresql":
        yield request.getfixturevalue("db").session
        return
    import app  # noqa: F401  (SQLite's foreign keys are switched on for every connection)

    engine = create_engine(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def member_of_new_shop(session):
    make = Factories(session)
    member = make.member(make.merchant(with_levels=False))
    session.flush()
    return member


def transaction_values(member, key, amount=50):
    return dict(merchant_id=member.merchant_id, member_id=member.id, kind="earn", amount=amount,
                balance_after=amount, idempotency_key=key, created_at=now_utc())


def lot_values(member, amount=50):
    return dict(merchant_id=member.merchant_id, member_id=member.id, amount=amount, remaining=amount,
                expires_at=now_utc(), created_at=now_utc())


def visit_gate(member, n, status):
    """A conditional update of the member with parameters of its own: open when `status` is the member's."""
    statement = (update(Member).where(Member.id == bindparam(f"id_{n}"), Member.status == bindparam(f"s_{n}"))
                 .values(visit_count=Member.visit_count + 1).returning(Member.id))
    return statement, {f"id_{n}": member.id, f"s_{n}": status}


def inserted_columns(sql):
    return [name.strip().strip('"') for name in re.search(r"INSERT INTO \S+ \(([^)]*)\)", sql).group(1).split(",")]


@pytest.mark.parametrize("model, children", LEDGER_KINDS, ids=lambda v: getattr(v, "__name__", ""))
def test_does_each_kinds_statement_write_every_column_of_its_table_under_its_unique_key(model, children):
    table = model.__table__
    columns = [column.name for column in table.columns if column.key != "id"]
    assert {"merchant_id", "idempotency_key"} <= {c.name for c in table.columns}
    assert any({c.name for c in constraint.columns} == set(ledger_rows.CONFLICT_COLUMNS)
               for constraint in table.constraints if constraint.__class__.__name__ == "UniqueConstraint")
    on_sqlite = str(ledger_rows.row_statement(table, sqlite).compile(dialect=sqlite.dialect()))
    assert inserted_columns(on_sqlite) == columns
    assert "ON CONFLICT (merchant_id, idempotency_key) DO NOTHING RETURNING id" in on_sqlite
    child_model, link = children or (None, None)
    together = str(ledger_rows.together_statement(table, child_model, link, 2 if child_model else 0)
                   .compile(dialect=postgresql.dialect()))
    assert inserted_columns(together) == columns
    assert "ON CONFLICT (merchant_id, idempotency_key) DO NOTHING RETURNING" in together
    if child_model is not None:
        child_columns = [link] + [c.name for c in child_model.__table__.columns if c.key not in ("id", link)]
        inserts = re.findall(r"INSERT INTO (\S+) \(([^)]*)\)", together)
        assert [(t, [n.strip() for n in cols.split(",")]) for t, cols in inserts[1:]] == \
            [(child_model.__table__.name, child_columns)]  # one INSERT of both children


def test_is_a_row_inserted_with_its_children_and_held_as_the_database_holds_it(session_on):
    session = session_on
    member = member_of_new_shop(session)
    lots = [lot_values(member), lot_values(member, 7)]
    written = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "k1"),
                                 children=(PointsLot, "transaction_id", lots))
    txn = written.row
    assert txn in session and txn.id and written.earlier is None and not written.refused
    assert not session.new and not session.dirty
    held = {attr.key: getattr(txn, attr.key) for attr in inspect(PointsTransaction).column_attrs}
    session.expire_all()
    read = session.get(PointsTransaction, held["id"])
    assert {attr.key: getattr(read, attr.key) for attr in inspect(PointsTransaction).column_attrs} == held
    found = session.scalars(select(PointsLot).where(PointsLot.transaction_id == held["id"])
                            .order_by(PointsLot.amount)).all()
    assert [(x.amount, x.remaining, x.member_id) for x in found] == [(7, 7, member.id), (50, 50, member.id)]


def test_does_a_taken_key_answer_with_the_earlier_row_and_leave_the_transaction_usable(session_on):
    session = session_on
    member = member_of_new_shop(session)
    first = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "same"),
                               children=(PointsLot, "transaction_id", [lot_values(member)])).row
    again = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "same", amount=9),
                               children=(PointsLot, "transaction_id", [lot_values(member, 9)]))
    assert again.row is None and again.earlier is first and not again.refused
    assert session.scalar(select(PointsLot.amount).where(PointsLot.member_id == member.id)) == 50  # one lot
    other = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "other"))  # still usable
    assert other.row is not None
    session.commit()


def test_does_a_closed_gate_write_nothing_and_an_open_one_write_all(session_on):
    session = session_on
    member = member_of_new_shop(session)
    children = (PointsLot, "transaction_id", [lot_values(member)])
    shut = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "shut"), children=children,
                              gates=[visit_gate(member, 0, "x")])
    assert shut.refused
    assert session.scalar(select(PointsTransaction.id).where(PointsTransaction.member_id == member.id)) is None
    assert session.scalar(select(PointsLot.id).where(PointsLot.member_id == member.id)) is None
    opened = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "open"), children=children,
                                gates=[visit_gate(member, 0, member.status)]).row
    assert opened is not None
    assert session.scalar(select(Member.visit_count).where(Member.id == member.id)) == member.visit_count + 1
    assert session.scalar(select(PointsLot.transaction_id).where(PointsLot.member_id == member.id)) == opened.id


def test_does_one_closed_gate_among_several_stop_the_insert(session_on):
    session = session_on
    member = member_of_new_shop(session)
    shut = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "two"),
                              gates=[visit_gate(member, 0, member.status), visit_gate(member, 1, "x")])
    assert shut.refused
    assert session.scalar(select(PointsTransaction.id).where(PointsTransaction.member_id == member.id)) is None


def test_does_a_key_of_our_own_go_without_the_conflict_clause_and_a_clash_raise(session_on):
    """A key derived from a row the transaction inserted cannot be taken: written without ON CONFLICT, a clash
    (a bug) is loud."""
    session = session_on
    member = member_of_new_shop(session)
    ours = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "checkout:1:earn"),
                              children=(PointsLot, "transaction_id", [lot_values(member)]), key_is_ours=True)
    assert ours.row is not None
    alone = ledger_rows.insert(session, PointsTransaction, transaction_values(member, "checkout:1:spend"),
                               key_is_ours=True)
    assert alone.row is not None
    session.commit()
    with pytest.raises(IntegrityError):
        ledger_rows.insert(session, PointsTransaction, transaction_values(member, "checkout:1:earn"),
                           key_is_ours=True)
    session.rollback()
    for dialect_module, dialect in ((sqlite, sqlite.dialect()), (postgresql, postgresql.dialect())):
        sql = str(ledger_rows.row_statement(PointsTransaction.__table__, dialect_module, guarded=False)
                  .compile(dialect=dialect))
        assert "ON CONFLICT" not in sql and inserted_columns(sql) == inserted_columns(
            str(ledger_rows.row_statement(PointsTransaction.__table__, dialect_module).compile(dialect=dialect)))


def test_is_what_the_request_changed_through_the_orm_written_before_the_row(session_on):
    """A row that refers to one the request only added (not yet flushed) finds it in the database."""
    session = session_on
    member = member_of_new_shop(session)
    make = Factories(session)
    newcomer = make.member(session.get(Merchant, member.merchant_id), mobile="13900000001")
    written = ledger_rows.insert(session, PointsTransaction, transaction_values(newcomer, "fresh"))
    assert written.row.member_id == newcomer.id


def test_do_concurrent_writers_of_one_key_leave_one_row_and_all_answer_with_it(app, db, make):
    shop = make.merchant(with_levels=False)
    member = make.member(shop)
    db.session.commit()
    values = transaction_values(member, "raced")

    def write(session, index):
        written = ledger_rows.insert(session, PointsTransaction, {**values},
                                     children=(PointsLot, "transaction_id", [lot_values(member)]))
        return "new" if written.row is not None else written.earlier.id

    results, errors = run_concurrently(app, 12, write)
    assert errors == [] and results.count("new") == 1
    ids = db.session.scalars(select(PointsTransaction.id).where(PointsTransaction.member_id == member.id)).all()
    assert len(ids) == 1 and set(results) == {"new", ids[0]}
    assert len(db.session.scalars(select(PointsLot.id).where(PointsLot.member_id == member.id)).all()) == 1
