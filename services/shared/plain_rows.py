"""Rows written with plain statements instead of the ORM's unit of work, and kept in the session as the database
now holds them: an INSERT ... RETURNING id whose row is made persistent from the values written (no flush, no
reload), and an UPDATE of one row's changed columns that leaves it clean.

A till payment writes a handful of ledger rows (checkout, verification, wallet and points transactions, points
lot) and changes two (the member, the checkout); through the ORM's flush each cost several times what its
statement does. The caller gives every column (`complete` fills the rest with their defaults, else NULL), so the
row in the session is what the database holds. Nothing is flushed first: a caller with pending ORM changes the
row depends on flushes them itself.

On PostgreSQL, what one change writes together goes in one statement (data-modifying WITH clauses): a ledger row
with its postings, lot or allocations, after the conditional update it depends on (`insert_with_children`), and
the changed rows a payment writes last (`write_changes`). Each statement is a round trip, and on a till's path
those cost more than the work they carry. Elsewhere (SQLite) the same statements run one after another.
"""
from sqlalchemy import bindparam, insert, inspect, literal, select, true, update
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history, instance_state
from sqlalchemy.orm.attributes import set_committed_value

from services.shared import direct_sql


def insert_row(session, model, values):
    """Insert one row of `model` and return it, persistent in `session`."""
    row_values = complete(model, values)
    new_id = direct_sql.rows(session.connection(), _insert_statement(model.__table__), row_values)[0][0]
    return adopt(session, model, new_id, row_values)


def insert_many(session, model, rows):
    """Insert rows nobody reads back in this request (a transaction's postings): one statement (a multi-row
    VALUES, as SQLAlchemy sends an INSERT ... RETURNING for many rows), no objects."""
    if rows:
        session.connection().execute(_insert_statement(model.__table__), [complete(model, values) for values in rows])


def insert_with_children(session, model, values, children=None, gates=()):
    """Insert one row of `model` with the rows that hang off it, and return it (persistent, as insert_row).

    `children`: (child model, the column that takes the new row's id, [values of each child]); nobody reads them
    back in this request. `gates`: [(a conditional UPDATE ... RETURNING, its parameters)] that the rows depend on,
    with bound parameter names of their own: when one changes no row, nothing is inserted and the answer is None
    (the caller raises, and its transaction rolls back what the others changed). On PostgreSQL all of it is one
    statement."""
    child_model, link, child_rows = children or (None, None, ())
    row_values = complete(model, values)
    child_values = [complete(child_model, child) for child in child_rows]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        if not all(connection.execute(*gate).first() is not None for gate in gates):
            return None
        row = insert_row(session, model, row_values)
        insert_many(session, child_model, [{**child, link: row.id} for child in child_values])
        return row
    statement = _family_statement(model.__table__, child_model, link, len(child_values),
                                  tuple(gate for gate, _ in gates))
    params = {f"p_{k}": v for k, v in row_values.items()}
    for _, gate_params in gates:
        params.update(gate_params)
    for n, child in enumerate(child_values):
        params.update({f"c{n}_{k}": v for k, v in child.items() if k != link})
    new_id = direct_sql.scalar(connection, statement, params)
    return None if new_id is None else adopt(session, model, new_id, row_values)


def _family_statement(table, child_model, link, child_count, gates):
    """WITH gate_n AS (UPDATE ... RETURNING), parent AS (INSERT ... SELECT ... FROM gate_0, gate_1 ... RETURNING id),
    child_n AS (INSERT ... SELECT parent.id, ... FROM parent) SELECT id FROM parent; built once per shape."""
    cache_key = (table, child_model, link, child_count, gates)
    statement = _families.get(cache_key)
    if statement is not None:
        return statement
    columns = [column for column in table.columns if column.key != "id"]
    source = select(*(bindparam(f"p_{c.key}", type_=c.type) for c in columns))
    if gates:
        ctes = [gate.cte(f"gate_{n}") for n, gate in enumerate(gates)]
        joined = ctes[0]
        for cte in ctes[1:]:  # one row from each gate: their product is a row only when every gate made one
            joined = joined.join(cte, true())
        source = source.select_from(joined)
    parent = (insert(table).from_select([c.key for c in columns], source).returning(table.c.id).cte("parent"))
    statement = select(parent.c.id)
    if child_model is not None:
        child_table = child_model.__table__
        child_columns = [c for c in child_table.columns if c.key not in ("id", link)]
        for n in range(child_count):
            values = select(parent.c.id, *(bindparam(f"c{n}_{c.key}", type_=c.type) for c in child_columns))
            statement = statement.add_cte(insert(child_table).from_select(
                [link] + [c.key for c in child_columns], values).cte(f"child_{n}"))
    _families[cache_key] = statement
    return statement


def write_changes(session, *rows):
    """Write what changed on persistent rows (their modified columns) with plain UPDATEs by id, and take the new
    values as the rows' committed state: the unit of work then has nothing left to write for them. For the rows a
    payment changes last (the member's counters and balance, the checkout); nothing else may depend on them. On
    PostgreSQL the UPDATEs go in one statement."""
    updates = [change for change in (_pending_update(row) for row in rows) if change is not None]
    connection = session.connection()
    if len(updates) > 1 and connection.dialect.name == "postgresql":
        statement = _together(tuple(key for key, _ in updates))
        direct_sql.rows(connection, statement, {f"u{n}_{k}": v for n, (_, params) in enumerate(updates)
                                                for k, v in params.items()})
    else:
        for key, params in updates:
            direct_sql.rows(connection, _update_statement(*key), params)
    for row in rows:
        _take_as_committed(session, row)


def _pending_update(row):
    """((table, changed column names), parameters) of the UPDATE that writes `row`'s changes, or None."""
    state = inspect(row)
    columns = _column_keys(state.mapper)
    names = tuple(sorted(name for name in state.committed_state  # (state.attrs builds every attribute's view)
                         if name in columns and get_history(row, name, PASSIVE_NO_INITIALIZE).has_changes()))
    if not names:
        return None
    return (state.mapper.local_table, names), {"row_id": row.id, **{f"new_{n}": getattr(row, n) for n in names}}


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


def _take_as_committed(session, row):
    state = inspect(row)
    columns = _column_keys(state.mapper)
    for name in [name for name in state.committed_state if name in columns]:  # set, perhaps to the same value
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
_updates = {}  # (table, column names, parameter prefix) -> UPDATE ... WHERE id, built once
_joint_updates = {}  # ((table, column names), ...) -> write_changes' one statement of them
_families = {}  # (table, child model, link, child count, gates) -> insert_with_children's statement


def adopt(session, model, new_id, row_values):
    """The row as the database now holds it, persistent in the session without being read: its values go
    straight into the instance's state, as a load puts them (no constructor, no change events to undo)."""
    mapper = model.__mapper__
    row = mapper.class_manager.new_instance()
    state = instance_state(row)
    state.dict.update(row_values, id=new_id)
    # make_transient_to_detached's work, for a state made here: nothing of it is committed or expired yet (its
    # relationships load lazily on use, as an unloaded one does), and its identity is the id it was given.
    state.key = mapper.identity_key_from_primary_key((new_id,))
    # Then what session.add does for a detached row, without its save-update cascade over every relationship:
    # nothing hangs off a row made from its columns. Together they were most of the cost of adopting one.
    (session() if isinstance(session, scoped_session) else session)._update_impl(state)
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
