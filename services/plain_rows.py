"""Rows written with plain statements instead of the ORM's unit of work, and kept in the session as the database
now holds them: an INSERT ... RETURNING id whose row is made persistent from the values written (no flush, no
reload), and an UPDATE of one row's changed columns that leaves it clean.

A till payment writes a handful of ledger rows (checkout, verification, wallet and points transactions, points
lot) and changes two (the member, the checkout); through the ORM's flush each cost several times what its
statement does. The caller gives every column (`complete` fills the rest with their defaults, else NULL), so the
row in the session is what the database holds. Nothing is flushed first: a caller with pending ORM changes the
row depends on flushes them itself.
"""
from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value


def insert_row(session, model, values):
    """Insert one row of `model` and return it, persistent in `session`."""
    row_values = complete(model, values)
    new_id = session.connection().execute(_insert_statement(model.__table__), row_values).scalar_one()
    return adopt(session, model, new_id, row_values)


def insert_many(session, model, rows):
    """Insert rows nobody reads back in this request (a transaction's postings): one statement (a multi-row
    VALUES, as SQLAlchemy sends an INSERT ... RETURNING for many rows), no objects."""
    if rows:
        session.connection().execute(_insert_statement(model.__table__), [complete(model, values) for values in rows])


def write_changes(session, row):
    """Write what changed on one persistent row (its modified columns) with a plain UPDATE by id, and take the new
    values as the row's committed state: the unit of work then has nothing left to write for it. For the rows a
    payment changes last (the member's counters and balance, the checkout); nothing else may depend on them."""
    state = inspect(row)
    columns = _column_keys(state.mapper)
    touched = [name for name in state.committed_state if name in columns]  # set, though perhaps to the same value
    names = tuple(sorted(name for name in touched if state.attrs[name].history.has_changes()))
    if names:
        table = state.mapper.local_table
        statement = _updates.get((table, names))
        if statement is None:
            statement = _updates[(table, names)] = (
                update(table).where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in names}))
        session.connection().execute(statement, {"row_id": row.id, **{f"new_{n}": getattr(row, n) for n in names}})
    for name in touched:
        set_committed_value(row, name, getattr(row, name))
    if not state.committed_state:  # nothing else pending on it: off the session's dirty list, as a flush leaves it
        state._commit_all(state.dict, session.identity_map)


def _insert_statement(table):
    statement = _inserts.get(table)
    if statement is None:
        statement = _inserts[table] = insert(table).returning(table.c.id)
    return statement


def _column_keys(mapper):
    return {column.key for column in mapper.local_table.columns}


_inserts = {}  # table -> INSERT ... RETURNING id, built once
_updates = {}  # (table, column names) -> UPDATE ... WHERE id, built once


def adopt(session, model, new_id, row_values):
    """The row as the database now holds it, persistent in the session without being read."""
    row = model(id=new_id, **row_values)
    make_transient_to_detached(row)
    session.add(row)
    return row


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
