"""Reports and exports read through services/shared/reading.py: with DATABASE_REPLICA_URL set (here the test
database itself, as a replica that never lags) they query the replica's read-only connections and answer exactly as
they do from the primary; a write through the replica fails; with it unset they read the request's own session."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from config import _database_url
from extensions import db
from services.campaigns import setup as campaign_setup
from services.coupons import templates as coupon_templates
from services.shared import reading
from services.wallet import journal as wallet
from tests.web.backoffice.test_verification_records import record

EXPORTS = [
    "/backoffice/reports/prepaid?format=csv",
    "/backoffice/verifications.csv?date_from=2030-03-01&date_to=2030-03-31",
    "/backoffice/audiences/export?genders=female&fmt=csv",
    "/backoffice/campaigns/{campaign_id}/report.csv",
]
PAGES = [
    ("/backoffice/reports/prepaid", "东店"),
    ("/backoffice/verifications?date_from=2030-03-01&date_to=2030-03-31&day=2030-03-10", "奶茶券"),
    ("/backoffice/checkouts", "收银"),
]


def _install(url):
    reading.install(url, db.session, scopefunc=db.session.registry.scopefunc)


@pytest.fixture()
def replica(app, database_url):
    """The replica configured as the test database; the SQL it runs is collected. Unset again afterwards."""
    _install(_database_url(database_url))
    statements = []
    event.listen(reading.replica_engine(), "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_rest: statements.append(statement))
    yield statements
    _install("")


@pytest.fixture()
def books(make, merchant, owner):
    """A member's top-up, verifications at two stores, a female member, a campaign: something in every report."""
    east, west = make.store(merchant, name="东店"), make.store(merchant, name="西店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant, gender="female").id)
    wallet.credit(db.session, merchant.id, purse.id, 12345, 55, key="topup:replica", store_id=east.id)
    tea = coupon_templates.save_template(db.session, owner, None, kind="cash", title="奶茶券", amount_off=1000,
                                         validity_mode="relative", valid_days=30)
    db.session.commit()
    record(merchant, make, tea, east, owner, datetime(2030, 3, 10, 2, tzinfo=UTC), 1500)
    record(merchant, make, tea, west, owner, datetime(2030, 3, 10, 3, tzinfo=UTC), 800)
    campaign = campaign_setup.save(db.session, owner, None, name="生日有礼", kind="birthday",
                                   schedule={"mode": "days_before", "days_before": 3, "hour": 9},
                                   rewards={"coupons": [{"template_id": tea.id, "count": 1}]})
    db.session.commit()  # a replica sees only what the primary committed
    return {"campaign_id": campaign.id}


def test_do_the_exports_give_the_same_bytes_from_the_replica_as_from_the_primary(as_owner, books, app,
                                                                                   database_url):
    urls = [url.format(**books) for url in EXPORTS]
    from_primary = [as_owner.get(url) for url in urls]
    _install(_database_url(database_url))
    try:
        statements = []
        event.listen(reading.replica_engine(), "before_cursor_execute",
                     lambda _conn, _cursor, statement, *_rest: statements.append(statement))
        for url, primary in zip(urls, from_primary):
            before = len(statements)
            answer = as_owner.get(url)
            assert primary.status_code == answer.status_code == 200, url
            assert answer.data == primary.data, url
            assert len(statements) > before, f"{url} did not read the replica"
    finally:
        _install("")
    assert "123.45" in from_primary[0].data.decode("utf-8-sig")
    assert "奶茶券" in from_primary[1].data.decode("utf-8-sig")


@pytest.mark.parametrize("url, shown", PAGES)
def test_do_the_report_pages_read_the_replica(as_owner, books, replica, url, shown):
    answer = as_owner.get(url)
    assert answer.status_code == 200 and shown in answer.get_data(as_text=True)
    assert replica, f"{url} did not read the replica"


def test_does_a_write_through_the_replica_fail(db, replica):
    session = reading.session()
    with pytest.raises(DBAPIError, match="read-only transaction"):
        session.execute(text("CREATE TABLE replica_write_probe (id int)"))
    session.rollback()


def test_do_reports_read_the_requests_own_session_without_a_replica(db):
    assert not reading.uses_replica() and reading.replica_engine() is None
    assert reading.session() is db.session()
