"""The members families on the embedded database `make run` uses: the same generated month on SQLite, read
through figures.read, equals the same direct count over the raw rows as on PostgreSQL."""
from datetime import timedelta

from tests import factories
from tests.integration.reports import test_members_report as month
from tests.web.common.test_cli_and_migrations import flask


def test_does_a_month_of_members_figures_equal_the_raw_rows_on_sqlite(tmp_path):
    from app import create_app
    from config import INSECURE_DEV_SECRET, TestConfig
    from domain.clock import local_today
    from extensions import db
    from services.reports import figures

    assert flask(tmp_path, "db", "upgrade").returncode == 0

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        SECRET_KEY = INSECURE_DEV_SECRET

    with create_app(Config).app_context():
        shop = month.build_shop(db.session, factories.Factories(db.session))
        month.generate_month(db, shop)
        merchant = shop["merchant"]
        today = local_today(merchant.timezone)
        first = today - timedelta(days=month.DAYS)
        joined = figures.read(db.session, merchant, "members", first, today, group="day_store")
        books = figures.read(db.session, merchant, "member_totals", first, today, group="day_store")
        db.session.commit()
        assert month.as_plain(joined) == month.direct_new_members(db, merchant, first, today)
        assert month.as_plain(books) == month.direct_totals(db, merchant, first, today - timedelta(days=1))
        db.session.remove()
        db.engine.dispose()
