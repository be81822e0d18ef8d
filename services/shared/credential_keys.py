"""Rotating CREDENTIALS_KEYS: every stored secret (merchants' channel credentials, physical cards' PINs) re-encrypted
with the newest key, so that the older keys can be dropped from the configuration.

The operator puts the new key first (older ones still decrypt), restarts, runs `flask rotate-credentials`, and then
removes the old key. Rows are read and written as their stored text, bypassing the column type, and walked by id in
chunks; the caller commits after each chunk, so a run stopped in the middle resumes where it was and skips what is
done (a token already under the newest key is left as it is).
"""
from dataclasses import dataclass, field

import sqlalchemy as sa

from models import Base
from models.crypto import EncryptedString, rotated, under_newest_key

CHUNK = 500


@dataclass
class Tally:
    rewritten: dict = field(default_factory=dict)  # table -> secrets re-encrypted
    current: dict = field(default_factory=dict)  # table -> secrets already under the newest key

    def add(self, table, rewritten, current):
        self.rewritten[table] = self.rewritten.get(table, 0) + rewritten
        self.current[table] = self.current.get(table, 0) + current


def encrypted_columns():
    """{table: [column names]} of every encrypted column in the schema."""
    found = {}
    for table in Base.metadata.sorted_tables:
        names = [column.name for column in table.c if isinstance(column.type, EncryptedString)]
        if names:
            found[table] = names
    return found


def rotate_in_chunks(session, tally, chunk=CHUNK):
    """Re-encrypt every stored secret with the newest key; yields after each chunk is flushed (commit there)."""
    for table, names in encrypted_columns().items():
        last_id = 0
        while True:
            rows = session.execute(
                sa.select(table.c.id, *[sa.type_coerce(table.c[name], sa.Text).label(name) for name in names])
                .where(table.c.id > last_id, sa.or_(*[table.c[name].isnot(None) for name in names]))
                .order_by(table.c.id).limit(chunk)).all()
            if not rows:
                break
            _rotate_rows(session, table, names, rows, tally)
            last_id = rows[-1].id
            yield table.name


def _rotate_rows(session, table, names, rows, tally):
    rewritten = current = 0
    for row in rows:
        changes = {}
        for name in names:
            stored = getattr(row, name)
            if not stored:
                continue
            if under_newest_key(stored):
                current += 1
            else:
                changes[name] = rotated(stored)
        if changes:
            rewritten += len(changes)
            values = {name: sa.literal(value, sa.Text) for name, value in changes.items()}
            session.execute(table.update().where(table.c.id == row.id).values(values))
    session.flush()
    tally.add(table.name, rewritten, current)
