"""The coupons and cards families on the embedded database `make run` uses: a generated fortnight on SQLite, read
through figures.read, equals the same direct counts over the codes, cards, verifications and refunds as on
PostgreSQL."""
from datetime import timedelta

from channels import payment_channels
from tests import factories
from tests.integration.reports import test_cards_report as cards_test
from tests.integration.reports import test_coupons_report as coupons_test
from tests.web.common.test_cli_and_migrations import flask


def test_does_a_fortnight_of_coupons_and_cards_equal_the_raw_rows_on_sqlite(tmp_path, monkeypatch):
    from app import create_app
    from config import INSECURE_DEV_SECRET, TestConfig
    from domain.clock import local_today
    from extensions import db
    from services.reports import card_holders, figures, periods

    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: cards_test.FakeChannel)
    assert flask(tmp_path, "db", "upgrade").returncode == 0

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        SECRET_KEY = INSECURE_DEV_SECRET

    with create_app(Config).app_context():
        make = factories.Factories(db.session)
        coupon_shop = coupons_test.make_shop(db, make)
        coupons_test.generate_month(db, coupon_shop, days=14)
        merchant = coupon_shop["merchant"]
        today = local_today(merchant.timezone)
        first = today - timedelta(days=15)
        read = figures.read(db.session, merchant, "coupons", first, today, group="day_store")
        db.session.commit()
        expected = coupons_test.direct_counts(db, merchant, first, today)
        assert coupons_test.as_plain(read) == expected
        assert {key.split(":")[0] for keys in expected.values() for key in keys} == {
            "issued", "claimed", "shared", "used", "undone", "expired"}

        card_shop = cards_test.make_shop(db, make)
        cards_test.generate_month(db, card_shop, days=14)
        merchant = card_shop["merchant"]
        read = figures.read(db.session, merchant, "cards", first, today, group="day_store")
        db.session.commit()
        expected = cards_test.direct_counts(db, merchant, first, today)
        assert cards_test.as_plain(read) == expected
        assert {key.split(":")[0] for keys in expected.values() for key in keys} == {
            "sold", "given", "activated", "used", "undone", "refunded"}
        # the holder lists read the same way on SQLite: every page, every export row
        period = periods.Period(first, today)
        holders = list(card_holders.timed_rows(db.session, merchant))
        assert len(holders) - 1 == card_holders.timed_count(db.session, merchant) > 0
        bought = list(card_holders.gift_rows(db.session, merchant, period, str))
        page = card_holders.gift_page(db.session, merchant, period, size=3)
        assert len(bought) - 1 == card_holders.gift_count(db.session, merchant, period) > 3 and page.next_after
        db.session.remove()
        db.engine.dispose()
