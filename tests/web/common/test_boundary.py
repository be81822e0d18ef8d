"""The one request boundary (web/boundary.py): a success commits, an error rolls back, a view may keep what it
wrote on an error or commit before it talks to the outside world, and a commit that fails keeps nothing."""
import pytest
from sqlalchemy import select, text

from domain.errors import Conflict
from extensions import db as database
from models import Merchant
from web import boundary


@pytest.fixture()
def rig(app, db, make):
    """A second application on the same database, with routes that rename a merchant and answer as told."""
    from app import create_app

    merchant = make.merchant(name="原名")
    db.session.commit()
    probe = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")},
                        "TESTING": True, "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False,
                        "SANDBOX_ENABLED": False})

    def rename(status, keep=False, raise_error=False, commit_early=False):
        row = database.session.get(Merchant, merchant.id)
        row.name = f"改名{status}"
        database.session.flush()
        if commit_early:
            boundary.commit_now()
            row.name = "提交之后又改"
            database.session.flush()
        if keep:
            boundary.keep_on_error()
        if raise_error:
            raise Conflict("不行")
        return "done", status

    probe.add_url_rule("/probe/<int:status>", "probe", lambda status: rename(status))
    probe.add_url_rule("/probe/<int:status>/keep", "probe_keep", lambda status: rename(status, keep=True))
    probe.add_url_rule("/probe/raise", "probe_raise", lambda: rename(409, raise_error=True))
    probe.add_url_rule("/probe/early", "probe_early", lambda: rename(400, commit_early=True))
    probe.add_url_rule("/probe/unique", "probe_unique", lambda: _duplicate_slug(merchant.id))
    yield probe.test_client(), merchant.id
    with probe.app_context():
        for engine in database.engines.values():
            engine.dispose()


def _duplicate_slug(merchant_id):
    """A change the database refuses only at commit (a deferred check stands in for any commit-time failure)."""
    database.session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
    row = database.session.get(Merchant, merchant_id)
    row.name = "不会留下"
    database.session.flush()
    database.session.execute(text("CREATE TEMP TABLE boundary_probe (id int PRIMARY KEY "
                                  "REFERENCES merchants(id) DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"))
    database.session.execute(text("INSERT INTO boundary_probe VALUES (-1)"))
    return "done"


def _name(merchant_id):
    database.session.rollback()
    return database.session.scalar(select(Merchant.name).where(Merchant.id == merchant_id))


@pytest.mark.parametrize("status", [200, 201, 302])
def test_does_a_successful_answer_commit_what_the_view_wrote(rig, status):
    client, merchant_id = rig
    assert client.get(f"/probe/{status}").status_code == status
    assert _name(merchant_id) == f"改名{status}"


@pytest.mark.parametrize("status", [400, 404, 409, 429])
def test_does_an_error_answer_keep_nothing(rig, status):
    client, merchant_id = rig
    assert client.get(f"/probe/{status}").status_code == status
    assert _name(merchant_id) == "原名"


def test_does_a_raised_domain_error_keep_nothing(rig):
    client, merchant_id = rig
    assert client.get("/probe/raise").status_code == 409
    assert _name(merchant_id) == "原名"


def test_does_keep_on_error_keep_what_the_view_wrote_under_an_error_answer(rig):
    client, merchant_id = rig
    assert client.get("/probe/429/keep").status_code == 429
    assert _name(merchant_id) == "改名429"


def test_does_commit_now_keep_what_came_before_it_and_only_that_on_an_error(rig):
    client, merchant_id = rig
    assert client.get("/probe/early").status_code == 400
    assert _name(merchant_id) == "改名400"


def test_does_a_commit_that_fails_answer_500_and_keep_nothing(rig):
    client, merchant_id = rig
    assert client.get("/probe/unique").status_code == 500
    assert _name(merchant_id) == "原名"
