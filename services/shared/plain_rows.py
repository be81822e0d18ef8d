"""Rows kept in the session as the database holds them, without the ORM's unit of work: a row a plain statement
inserted (services/shared/ledger_rows.py) or read, and changes staged on locked rows and written together.

A till payment changes two rows (the member's counters and balance, the checkout) several times over; through
the ORM's flush each change cost several times what its statement does. `stage` gives the row its new values at
once (readers in this request see them) without marking it dirty, and `write_staged` writes every staged change
in one statement on PostgreSQL (data-modifying WITH clauses; one after another elsewhere). A transaction that
commits with changes staged and not written is refused: they would be lost.
"""
from sqlalchemy import bindparam, event, literal, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from services.shared import direct_sql

STAGED = "plain_rows.staged"


def stage(session, row, **values):
    """Give a persistent row these column values now, to be written by write_staged before the commit."""
    session.connection()  # staged within a transaction (begun if need be), whose rollback forgets them
    for name, value in values.items():
        set_committed_value(row, name, value)
    staged = session.info.setdefault(STAGED, {})
    staged.setdefault(id(row), (row, {}))[1].update(values)


def write_staged(session):
    """Write every staged change: plain UPDATEs by id, one statement on PostgreSQL."""
    staged = session.info.pop(STAGED, None)
    if not staged:
        return
    updates = [((row.__table__, tuple(sorted(values))), {"row_id": row.id, **{f"new_{k}": v for k, v in values.items()}})
               for row, values in staged.values()]
    connection = session.connection()
    if len(updates) > 1 and connection.dialect.name == "postgresql":
        statement = _together(tuple(key for key, _ in updates))
        direct_sql.rows(connection, statement, {f"u{n}_{k}": v for n, (_, params) in enumerate(updates)
                                                for k, v in params.items()})
    else:
        for key, params in updates:
            direct_sql.rows(connection, _update_statement(*key), params)


@event.listens_for(Session, "before_commit")
def _refuse_unwritten(session):
    if session.info.get(STAGED):
        session.info.pop(STAGED)
        raise RuntimeError("staged changes were never written (plain_rows.write_staged)")


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction; a savepoint's rollback keeps what came before
        session.info.pop(STAGED, None)


def _update_statement(table, names, prefix=""):
    statement = _updates.get((table, names, prefix))
    if statement is None:
        statement = _updates[(table, names, prefix)] = (
            update(table).where(table.c.id == bindparam(f"{prefix}row_id"))
            .values({name: bindparam(f"{prefix}new_{name}") for name in names}))
    return statement


def _together(keys):
    """One statement of several UPDATEs by id (PostgreSQL): WITH u0 AS (UPDATE ...), u1 AS (...) SELECT 1."""
    statement = _joint_updates.get(keys)
    if statement is None:
        statement = select(literal(1))
        for n, (table, names) in enumerate(keys):
            statement = statement.add_cte(_update_statement(table, names, f"u{n}_").cte(f"u{n}"))
        _joint_updates[keys] = statement
    return statement


_updates = {}  # (table, column names, parameter prefix) -> UPDATE ... WHERE id, built once
_joint_updates = {}  # ((table, column names), ...) -> write_staged's one statement of them


def adopt(session, model, new_id, row_values):
    """The row as the database now holds it, persistent in the session without being read: its values go
    straight into the instance's state, as a load puts them (no constructor, no change events to undo); its
    relationships load lazily on use."""
    row = model.__mapper__.class_manager.new_instance()
    instance_state(row).dict.update(row_values, id=new_id)
    make_transient_to_detached(row)
    session.add(row)
    return row


def loaded(session, model, values):
    """The row a plain statement read (every column, its id among them), persistent in the session as a query
    leaves it: the instance the session already holds, given these values as a locking read's populate_existing
    would, or a new one."""
    held = session.identity_map.get(identity_key(model, values["id"]))
    if held is None:
        return adopt(session, model, values["id"], values)
    for name, value in values.items():
        set_committed_value(held, name, value)
    return held


def complete(model, values):
    """Every column but the id: the given value, else the column's default (`now_utc`, `list`, a constant), else
    None."""
    return {column.key: values[column.key] if column.key in values else _default(column)
            for column in model.__table__.columns if column.key != "id"}


def _default(column):
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default.arg if default.is_scalar else default.arg(None)  # SQLAlchemy wraps it to take a context
