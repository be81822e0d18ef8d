"""The stored value and points families on the embedded database `make run` uses: a generated fortnight on SQLite,
read through figures.read, equals the same direct counts over the journal and the points ledger as on PostgreSQL
(the end-of-day balance is summed over the whole journal there: no chaining)."""
from datetime import timedelta

from tests import factories
from tests.integration.reports import money_month
from tests.integration.reports import test_points_report as points_test
from tests.integration.reports import test_wallet_report as wallet_test
from tests.web.common.test_cli_and_migrations import flask


def test_does_a_fortnight_of_stored_value_and_points_equal_the_raw_rows_on_sqlite(tmp_path):
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
        shop = money_month.shop(db, factories.Factories(db.session))
        money_month.generate(db, shop, days=14, per_day=5)
        merchant = shop["merchant"]
        today = local_today(merchant.timezone)
        first = today - timedelta(days=15)
        moved = figures.read(db.session, merchant, "wallet", first, today, group="day_store")
        held = figures.read(db.session, merchant, "wallet_balance", first, today, group="day_store")
        points = figures.read(db.session, merchant, "points", first, today, group="day_store")
        db.session.commit()
        assert wallet_test.as_plain(moved) == wallet_test.direct_movements(db, merchant, first, today)
        keys = {key for figures_of_day in moved.values() for key in figures_of_day}
        assert {"topup:online:wechat", "topup:counter:cash", "spend", "spend_refund", "topup_refund", "gift:in",
                "bonus:points", "refund_failed", "withdraw"} <= keys
        for day in (first + timedelta(days=n) for n in range(15)):
            on_day = {store: {k: v for k, v in keys.items() if v}
                      for (d, store), keys in wallet_test.amounts(held).items() if d == day}
            assert {s: keys for s, keys in on_day.items() if keys} == {
                s: {k: v for k, v in keys.items() if v}
                for s, keys in wallet_test.direct_balances(db, merchant, day).items() if any(keys.values())}
        assert points_test.as_plain(points) == points_test.direct_counts(db, merchant, first, today)
        assert {"kind:earn:in", "kind:spend:out", "kind:adjust:in"} <= {k for day in points.values() for k in day}
        db.session.remove()
        db.engine.dispose()
