"""The till's hot statements run on the psycopg cursor itself, compiled once, on the session's own connection and
transaction.

SQLAlchemy's execution of an already compiled statement (its cache key, parameters, result metadata, rows, and an
ORM statement's loading) costs two to four times what psycopg's own execute does: measured in-process, the till's
member statement took 0.25 ms through Connection.execute, 0.45 ms through Session.execute and 0.10 ms here. A
payment runs half a dozen such statements.

`rows` is what Connection.execute(statement, params).all() answers, with the same SQL: the statement is compiled by
SQLAlchemy (bound parameter types, casts, the parameters' keys naming an INSERT's columns, as Core does), and each
value goes through its type's bind processor. `IN` of an expanding parameter becomes `= ANY(the list)`. A statement
this cannot run as Core would (a callable default, an expanding parameter with a processor, any other
post-compile parameter) and every other database (SQLite) take Connection.execute. Errors are SQLAlchemy's
(IntegrityError, ...), and the engine's cursor listeners see each statement, so tracing and statement counts still
see it.

Statements must be built once (module-level caches), as the till's are: compiled forms are kept by the statement's
identity, and a statement built per call would only fill the cache (bounded, so it would not leak).
"""
import re
from dataclasses import dataclass

from sqlalchemy import exc

MAX_COMPILED = 1000


@dataclass(frozen=True)
class _Compiled:
    statement: object  # kept, so that its id() is not reused while this is cached
    sql: str
    defaults: dict  # values of the literal parameters the statement carries (`state = 'available'`)
    processors: tuple  # (name, bind processor)
    returns_rows: bool  # columns known to come back (else the cursor is asked)
    results: tuple | None  # (column index, result processor) of the columns that need one, or None
    lists: frozenset  # parameters sent as arrays (`= ANY(...)`)


def rows(connection, statement, params):
    """The rows the statement returns (a list of tuples; empty for a statement that returns none)."""
    driver = _psycopg(connection)
    compiled = driver and _compiled(connection.dialect, statement, params)
    if compiled is None:
        result = connection.execute(statement, params)
        return result.all() if result.returns_rows else []
    values = _values(compiled, params)
    cursor = _cursor(connection, driver)
    _before(connection, cursor, compiled.sql, values)
    try:
        cursor.execute(compiled.sql, values, prepare=True)
    except driver.Error as error:
        raise _wrapped(connection, compiled.sql, values, error, cursor) from error
    # cursor.description builds a Column object for every column: asked only when the statement does not say what
    # it returns (an UPDATE without RETURNING, a text statement without .columns())
    found = cursor.fetchall() if compiled.returns_rows or cursor.description is not None else []
    return found if compiled.results is None else [_processed(row, compiled.results) for row in found]


def scalar(connection, statement, params):
    """The first column of the first row, or None."""
    found = rows(connection, statement, params)
    return found[0][0] if found else None


def _psycopg(connection):
    """The psycopg connection under a SQLAlchemy one, or None (another driver)."""
    if connection.dialect.driver != "psycopg":
        return None
    return connection.connection.driver_connection


def _cursor(connection, driver):
    """One cursor per database connection, kept with it in the pool (a connection serves one request at a time,
    and each execute replaces the cursor's last result): making one cost as much as dumping the parameters."""
    info = connection.connection.info
    cursor = info.get("direct_sql_cursor")
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = info["direct_sql_cursor"] = driver.cursor()
    return cursor


def _compiled(dialect, statement, params):
    key = (id(statement), tuple(params) if getattr(statement, "is_dml", False) else None, dialect.name)
    found = _cache.get(key, _MISSING)
    if found is _MISSING:
        if len(_cache) >= MAX_COMPILED:
            _cache.clear()
        found = _cache[key] = _compile(dialect, statement, params)
    return found


def _compile(dialect, statement, params):
    """The statement as psycopg takes it, or None when only SQLAlchemy's execution can run it as written."""
    compiled = statement.compile(dialect=dialect, column_keys=list(params))
    if compiled.positional or compiled.literal_execute_params:
        return None
    sql, lists = _arrays(compiled.string, compiled)
    if sql is None or "__[POSTCOMPILE_" in sql:
        return None
    defaults, processors = {}, []
    for bind, name in compiled.bind_names.items():
        if bind.callable is not None:
            return None
        if not bind.required and name not in params:
            defaults[name] = bind.effective_value
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            if name in lists:
                return None
            processors.append((name, processor))
    columns = _returned_columns(statement)
    results = tuple((index, processor) for index, processor in enumerate(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        if processor is not None)
    return _Compiled(statement, sql, defaults, tuple(processors), bool(columns), results or None, frozenset(lists))


def _returned_columns(statement):
    """The columns a statement returns, in order: a SELECT's (or a text statement's .columns()), an INSERT's or
    UPDATE's RETURNING; none for DML without RETURNING and for a text statement that does not say."""
    return tuple(getattr(statement, "exported_columns", None) or ())


_EXPANDING_IN = re.compile(r" (NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")


def _arrays(sql, compiled):
    """`x IN (__[POSTCOMPILE_p])` -> `x = ANY(%(p)s)` (NOT IN -> `<> ALL`), for expanding parameters: one SQL text
    whatever the list's length. (None, ...) when such a parameter is not a plain expanding one."""
    lists = set()
    expanding = {name for bind, name in compiled.bind_names.items() if bind.expanding}

    def replace(match):
        negated, name = match.groups()
        if name not in expanding:
            raise LookupError(name)
        lists.add(name)
        return f" <> ALL(%({name})s)" if negated else f" = ANY(%({name})s)"

    try:
        return _EXPANDING_IN.sub(replace, sql), lists
    except LookupError:
        return None, lists


def _values(compiled, params):
    values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
    for name in compiled.lists:
        values[name] = list(values[name])
    for name, processor in compiled.processors:
        if name in values:
            values[name] = processor(values[name])
    return values


def _processed(row, processors):
    row = list(row)
    for index, processor in processors:
        row[index] = processor(row[index])
    return tuple(row)


def _before(connection, cursor, sql, values):
    """The engine's before_cursor_execute listeners (statement counters, tracing) see the statement."""
    listeners = connection.dispatch.before_cursor_execute
    for listener in listeners:
        listener(connection, cursor, sql, values, None, False)


def _wrapped(connection, sql, values, error, cursor):
    """psycopg's error as SQLAlchemy's (IntegrityError, OperationalError, ...), as Connection.execute raises it; a
    lost connection is invalidated, so that the pool replaces it."""
    disconnect = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if disconnect and not connection.invalidated:
        connection.invalidate(error)
    return exc.DBAPIError.instance(sql, values, error, connection.dialect.loaded_dbapi.Error,
                                   dialect=connection.dialect, connection_invalidated=disconnect)


_MISSING = object()
_cache = {}  # (statement id, parameter keys of a DML statement, dialect) -> _Compiled or None
