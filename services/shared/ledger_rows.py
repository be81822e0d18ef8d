"""The one way a ledger row is written: a checkout, a checkout refund, a reward grant, a points or stored-value
transaction, a verification record.

Each kind is one statement, built once from the model's table: INSERT ... ON CONFLICT (merchant_id,
idempotency_key) DO NOTHING RETURNING id. A key an earlier request holds inserts nothing and answers with that
request's row (no savepoint, no caught IntegrityError: the transaction stays usable). A key that derives from a row
the transaction inserted itself (`key_is_ours`) cannot be held by anyone else: its statement is the same without
ON CONFLICT. What a row needs beside it
goes with it:

- `children`: rows that hang off it (a points transaction's lot or allocations, a stored-value transaction's
  postings), inserted only when the row is new, taking its id;
- `gates`: conditional UPDATE ... RETURNING statements it records (a lot's draw, a wallet's balance, a coupon's
  state). When one changes no row, nothing is inserted and the answer is refused.

On PostgreSQL all of it is one statement (data-modifying WITH clauses) run on the driver (services/shared/
direct_sql.py); on SQLite the same pieces run one after another. The gates run whatever the key finds: a caller
with gates raises on a taken key, and its transaction's rollback undoes them (a key derived from a row the
transaction inserted itself, as the till's are, cannot be taken).

The new row is persistent in the session from the values written (plain_rows.adopt): nothing is read back.
"""
from dataclasses import dataclass

from sqlalchemy import bindparam, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite

from services.shared import direct_sql, idempotency, plain_rows

CONFLICT_COLUMNS = ("merchant_id", "idempotency_key")


@dataclass(frozen=True)
class Written:
    row: object | None = None  # the new row
    earlier: object | None = None  # the row an earlier request wrote under the key

    @property
    def refused(self):
        """A gate changed nothing: no row was written, and no earlier one holds the key."""
        return self.row is None and self.earlier is None


def insert(session, model, values, children=None, gates=(), key_is_ours=False):
    """Write one ledger row of `model` (values by column key; missing ones take their defaults).

    `children`: (child model, the column that takes the new row's id, [values of each child]). `gates`:
    [(a conditional UPDATE ... RETURNING, its parameters)], each with bound parameter names of its own.
    `key_is_ours`: the key derives from a row this transaction inserted under its own key (the till's
    `checkout:<id>:...`), so no other request can hold it: the statement leaves out ON CONFLICT, whose speculative
    insertion costs PostgreSQL an index probe and a WAL record per row (a clash would then raise)."""
    session.flush()  # what the request changed through the ORM comes first, as a flush of the row would have
    row_values = plain_rows.complete(model, values)
    child_model, link, child_rows = children or (None, None, ())
    child_values = [plain_rows.complete(child_model, child) for child in child_rows]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        new_id = _insert_together(connection, model, row_values, child_model, link, child_values, gates,
                                  not key_is_ours)
    else:
        new_id = _insert_in_steps(connection, model, row_values, child_model, link, child_values, gates,
                                  not key_is_ours)
    if new_id is None:
        return Written(earlier=idempotency.find_existing(session, model, values["merchant_id"],
                                                         values["idempotency_key"]))
    return Written(row=plain_rows.adopt(session, model, new_id, row_values))


def _insert_together(connection, model, row_values, child_model, link, child_values, gates, guarded):
    if not child_values and not gates:  # the row alone: INSERT ... VALUES
        return direct_sql.scalar(connection, row_statement(model.__table__, postgresql, guarded), row_values)
    statement = together_statement(model.__table__, child_model, link, len(child_values),
                                   tuple(gate for gate, _ in gates), guarded)
    params = {f"p_{key}": value for key, value in row_values.items()}
    for _, gate_params in gates:
        params.update(gate_params)
    for n, child in enumerate(child_values):
        params.update({f"c{n}_{key}": value for key, value in child.items() if key != link})
    return direct_sql.scalar(connection, statement, params)


def _insert_in_steps(connection, model, row_values, child_model, link, child_values, gates, guarded):
    if not all(connection.execute(gate, params).first() is not None for gate, params in gates):
        return None
    new_id = connection.execute(row_statement(model.__table__, sqlite, guarded), row_values).scalar()
    if new_id is not None and child_values:
        connection.execute(child_model.__table__.insert(), [{**child, link: new_id} for child in child_values])
    return new_id


def row_statement(table, dialect_module, guarded=True):
    """INSERT of every column but the id RETURNING id, a taken key inserting nothing (`guarded`); built once per
    table."""
    statement = _rows.get((table, dialect_module, guarded))
    if statement is None:
        statement = dialect_module.insert(table).values({c.key: bindparam(c.key, type_=c.type)
                                                         for c in _columns(table)})
        if guarded:
            statement = statement.on_conflict_do_nothing(index_elements=CONFLICT_COLUMNS)
        statement = _rows[(table, dialect_module, guarded)] = statement.returning(table.c.id)
    return statement


def together_statement(table, child_model=None, link=None, child_count=0, gates=(), guarded=True):
    """WITH gate_n AS (UPDATE ... RETURNING), parent AS (INSERT ... SELECT ... FROM gate_0, gate_1 ... ON CONFLICT
    DO NOTHING RETURNING id), children AS (INSERT ... SELECT parent.id, given.* FROM parent, (the children's rows)
    AS given) SELECT id FROM parent (ON CONFLICT when `guarded`); built once per shape. Its parameters: p_<column>
    for the row, c<n>_<column> for the n-th child, the gates' own. (PostgreSQL only: SQLite's INSERT ... SELECT
    cannot take ON CONFLICT without a WHERE.)"""
    cache_key = (table, child_model, link, child_count, gates, guarded)
    statement = _families.get(cache_key)
    if statement is not None:
        return statement
    columns = _columns(table)
    source = select(*(bindparam(f"p_{c.key}", type_=c.type) for c in columns))
    if gates:
        ctes = [gate.cte(f"gate_{n}") for n, gate in enumerate(gates)]
        joined = ctes[0]
        for cte in ctes[1:]:  # one row from each gate: their product is a row only when every gate made one
            joined = joined.join(cte, true())
        source = source.select_from(joined)
    parent = postgresql.insert(table).from_select([c.key for c in columns], source)
    if guarded:
        parent = parent.on_conflict_do_nothing(index_elements=CONFLICT_COLUMNS)
    parent = parent.returning(table.c.id).cte("parent")
    statement = select(parent.c.id)
    if child_model is not None and child_count:
        child_table = child_model.__table__
        child_columns = [c for c in child_table.columns if c.key not in ("id", link)]
        # one INSERT of all the children, in the order given (their ids follow it, as allocations are read back)
        rows = [select(*(bindparam(f"c{n}_{c.key}", type_=c.type).label(c.key) for c in child_columns))
                for n in range(child_count)]
        given = (union_all(*rows) if child_count > 1 else rows[0]).subquery("given")
        statement = statement.add_cte(child_table.insert().from_select(
            [link] + [c.key for c in child_columns], select(parent.c.id, *given.c)).cte("children"))
    _families[cache_key] = statement
    return statement


def _columns(table):
    return [column for column in table.columns if column.key != "id"]


_rows = {}  # (table, dialect module, guarded) -> row_statement's statement
_families = {}  # (table, child model, link, child count, gates, guarded) -> together_statement's statement
