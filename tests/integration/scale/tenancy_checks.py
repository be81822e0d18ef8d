"""No row is linked to another merchant's row: every foreign key between two tables of merchants' rows joins rows of
one merchant, so a join along the schema's links never meets two merchants (what distributing by merchant needs)."""
from sqlalchemy import text

from models import Base


def _tenant(table):
    return "merchant_id" in table.c and table.name != "merchants"


def _links():
    """[(description, SQL counting the rows whose two ends belong to different merchants)]."""
    found = []
    for table in Base.metadata.sorted_tables:
        tenant_parents = [fk for fk in table.foreign_keys if _tenant(fk.column.table)]
        if _tenant(table):
            for fk in tenant_parents:
                parent = fk.column.table
                found.append((f"{table.name}.{fk.parent.name} -> {parent.name}",
                              f'SELECT count(*) FROM "{table.name}" c JOIN "{parent.name}" p '
                              f'ON p."{fk.column.name}" = c."{fk.parent.name}" WHERE p.merchant_id <> c.merchant_id'))
        else:  # a link table without merchant_id: its two parents must be one merchant's
            for first, second in zip(tenant_parents, tenant_parents[1:]):
                a, b = first.column.table, second.column.table
                found.append((f"{table.name}: {a.name} and {b.name}",
                              f'SELECT count(*) FROM "{table.name}" c '
                              f'JOIN "{a.name}" a ON a."{first.column.name}" = c."{first.parent.name}" '
                              f'JOIN "{b.name}" b ON b."{second.column.name}" = c."{second.parent.name}" '
                              f'WHERE a.merchant_id <> b.merchant_id'))
    return found


def links_across_merchants(connection):
    """{link: rows} for every link with rows of two merchants (empty when none is)."""
    counts = {name: connection.execute(text(sql)).scalar() for name, sql in _links()}
    assert counts, "no links between merchants' tables were found"
    return {name: rows for name, rows in counts.items() if rows}
