"""The migrations build exactly the schema the models describe, so a hand-written migration cannot drift."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db
from models import Base


def test_do_the_migrated_tables_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
