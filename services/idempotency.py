"""Ledger rows carry an idempotency key under a unique constraint; a repeat returns the first result."""
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from domain.errors import DomainError, IdempotencyMismatch

MAX_KEY_LENGTH = 100


def check_key(key):
    if not key or not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        raise DomainError("缺少或过长的幂等键")
    return key


def find_existing(session, model, merchant_id, key):
    return session.scalars(
        select(model).where(model.merchant_id == merchant_id, model.idempotency_key == key)
    ).one_or_none()


def ensure_same_request(existing, **expected):
    """A key reused for a different request is an error, not a silent replay of something else."""
    for name, value in expected.items():
        if getattr(existing, name) != value:
            raise IdempotencyMismatch("该幂等键已用于另一笔不同的操作", key=existing.idempotency_key, field=name)
    return existing


def insert_once(session, row, model, claimed=False):
    """Insert a ledger row; if a concurrent request won the key, return theirs instead (None means ours).

    `claimed`: the key derives from a row this transaction inserted under its own unique key (a checkout), so no
    other request can hold it: a plain INSERT, without the savepoint that catching the race needs."""
    if claimed:
        session.add(row)
        session.flush()
        return None
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = find_existing(session, model, row.merchant_id, row.idempotency_key)
        if existing is None:
            raise
        return existing
    return None


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_claims = {}  # (table, dialect) -> the statement, built once: SQLAlchemy does not cache dialect upserts' compilation


def claim_row(session, model, values):
    """Insert a row under its (merchant_id, idempotency_key) in one statement, without a savepoint:
    INSERT ... ON CONFLICT DO NOTHING RETURNING id. Returns the row, persistent in the session from the values it
    was written with (columns not given take their scalar default, else NULL), or None when an earlier request
    holds the key."""
    dialect = session.get_bind().dialect.name
    statement = _claims.get((model, dialect))
    if statement is None:
        table = model.__table__
        statement = (_INSERTS[dialect](table).on_conflict_do_nothing(index_elements=["merchant_id", "idempotency_key"])
                     .returning(table.c.id))
        _claims[(model, dialect)] = statement
    session.flush()  # what the request changed before comes first, as a flush of the row would have
    row_values = {column.key: values[column.key] if column.key in values else _default(column)
                  for column in model.__table__.columns if column.key != "id"}
    new_id = session.connection().execute(statement, row_values).scalar_one_or_none()
    if new_id is None:
        return None
    row = model(id=new_id, **row_values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _default(column):
    default = column.default
    return default.arg if default is not None and default.is_scalar else None
