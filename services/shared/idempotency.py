"""Ledger rows carry an idempotency key under a unique constraint; a repeat returns the first result."""
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from domain.errors import DomainError, IdempotencyMismatch
from services.shared import direct_sql, plain_rows

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


def insert_once(session, row, model):
    """Insert a ledger row; if a concurrent request won the key, return theirs instead (None means ours). A key
    that derives from a row this transaction claimed (a checkout) needs no savepoint: see insert_ledger_row."""
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


def insert_ledger_row(session, model, values, claimed, children=None, gates=()):
    """(the new row, None), or (ours, the earlier one) when a concurrent request won the key. `claimed`: the key
    derives from a row this transaction claimed and locked (a checkout), so nobody else can hold it: one plain
    INSERT (plain_rows.insert_with_children), without the savepoint catching the race needs. `children`: (model,
    the column taking the row's id, [values]) of rows inserted with it, when it is new. `gates` (claimed only): the
    conditional updates it depends on (plain_rows.insert_with_children); when one changes nothing the answer is
    (None, None)."""
    if claimed:
        return plain_rows.insert_with_children(session, model, values, children=children, gates=gates), None
    if gates:
        raise ValueError("gates need a claimed key")
    row = model(**values)
    earlier = insert_once(session, row, model)
    if earlier is None and children:
        child_model, link, rows = children
        plain_rows.insert_many(session, child_model, [{**child, link: row.id} for child in rows])
    return row, earlier


def claim_row(session, model, values):
    """Insert a row under its (merchant_id, idempotency_key) in one statement, without a savepoint:
    INSERT ... ON CONFLICT DO NOTHING RETURNING id. Returns the row, persistent in the session from the values it
    was written with (columns not given take their default, else NULL), or None when an earlier request holds the
    key."""
    statement = _claims.get(model)
    if statement is None:
        statement = _claims[model] = _claim_statement(model.__table__)
    session.flush()  # what the request changed before comes first, as a flush of the row would have
    row_values = plain_rows.complete(model, values)
    new_id = direct_sql.scalar(session.connection(), statement, row_values)
    if new_id is None:
        return None
    return plain_rows.adopt(session, model, new_id, row_values)


_claims = {}  # model -> its statement


def _claim_statement(table):
    """As text, which SQLAlchemy compiles once and caches (its dialects' ON CONFLICT constructs it compiles on
    every execution); PostgreSQL and SQLite (3.35+) share the syntax. The bound parameters keep their column types,
    so JSON and timestamps are written as the ORM would."""
    columns = [column for column in table.columns if column.key != "id"]
    names = ", ".join(f'"{column.name}"' for column in columns)
    values = ", ".join(f":{column.key}" for column in columns)
    sql = (f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) '
           'ON CONFLICT (merchant_id, idempotency_key) DO NOTHING RETURNING id')
    return text(sql).bindparams(*(bindparam(c.key, type_=c.type) for c in columns)).columns(table.c.id)
