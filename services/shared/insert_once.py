"""A row inserted once under a unique key: a second insert with the same key (a retry, a concurrent request)
inserts nothing and says so, without an error that would spoil the transaction."""
from sqlalchemy.dialects import postgresql, sqlite

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session):
    """The INSERT construct of the session's database, the one that knows ON CONFLICT."""
    return _INSERTS[session.get_bind().dialect.name]


def insert_once(session, model, values, conflict_columns):
    """The new row's id, or None when a row with the same `conflict_columns` already exists."""
    statement = dialect_insert(session)(model).values(**values).on_conflict_do_nothing(index_elements=list(conflict_columns))
    return session.execute(statement.returning(model.id)).scalar()
