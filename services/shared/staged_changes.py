"""Changes staged on rows a transaction locked, written together at the end (a till payment's member and
checkout).

A till payment changes two rows (the member's counters and points balance, the checkout) several times over;
through the ORM's flush each change cost several times what its statement does. `stage` gives the row its new
values at once (readers in this request see them) without marking it dirty, and `write_staged` writes every staged
change in one statement on PostgreSQL (data-modifying WITH clauses; one after another elsewhere).

A staged change lives and dies with the transaction it was staged in: a savepoint's rollback discards what was
staged inside it (and the row reads those columns afresh), a rollback discards everything, and a commit with
changes staged and never written is refused, as they would be lost.
"""
from sqlalchemy import bindparam, event, literal, select, update
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from services.shared import direct_sql

STAGED = "staged_changes"


def stage(session, row, **values):
    """Give a persistent row these column values now, to be written by write_staged before the commit."""
    own = session() if isinstance(session, scoped_session) else session
    within = own.get_nested_transaction() or own.get_transaction()
    if within is None:  # staged within a transaction (begun now), whose rollback forgets them
        own.connection()
        within = own.get_transaction()
    for name, value in values.items():
        set_committed_value(row, name, value)
    session.info.setdefault(STAGED, []).append((row, values, within))


def write_staged(session):
    """Write every staged change: plain UPDATEs by id, one statement on PostgreSQL."""
    staged = session.info.pop(STAGED, None)
    if not staged:
        return
    updates = [((row.__table__, tuple(sorted(values))),
                {"row_id": row.id, **{f"new_{name}": value for name, value in values.items()}})
               for row, values in _by_row(staged)]
    connection = session.connection()
    if len(updates) > 1 and connection.dialect.name == "postgresql":
        statement = _together(tuple(key for key, _ in updates))
        direct_sql.rows(connection, statement, {f"u{n}_{k}": v for n, (_, params) in enumerate(updates)
                                                for k, v in params.items()})
    else:
        for key, params in updates:
            direct_sql.rows(connection, _update_statement(*key), params)


def _by_row(staged):
    """[(row, its staged values, the later winning)], rows in the order first staged."""
    rows = {}
    for row, values, _ in staged:
        rows.setdefault(id(row), (row, {}))[1].update(values)
    return list(rows.values())


@event.listens_for(Session, "before_commit")
def _refuse_unwritten(session):
    if session.info.get(STAGED) and not session.in_nested_transaction():  # (a savepoint's release is no commit)
        session.info.pop(STAGED)
        raise RuntimeError("staged changes were never written (staged_changes.write_staged)")


@event.listens_for(Session, "after_soft_rollback")
def _discard_undone(session, previous_transaction):
    staged = session.info.get(STAGED)
    if not staged:
        return
    kept = [entry for entry in staged if not _within(entry[2], previous_transaction)]
    still = {id(row): values for row, values in _by_row(kept)}
    for row, values, within in staged:
        if _within(within, previous_transaction):  # the row shows what is still staged, else what the database has
            held = still.get(id(row), {})
            for name in values:
                if name in held:
                    set_committed_value(row, name, held[name])
                else:
                    session.expire(row, [name])
    session.info[STAGED] = kept


def _within(transaction, undone):
    while transaction is not None:
        if transaction is undone:
            return True
        transaction = transaction.parent
    return False


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
