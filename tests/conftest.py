"""Fixtures. Each run creates its own PostgreSQL database and drops it; each test starts from empty tables.

Unit tests need none of this. With CI=true a missing PostgreSQL or Redis fails the run; elsewhere the
tests that need them are skipped with the reason.
"""
import functools
import os
import uuid

import psycopg
import pytest
from werkzeug.security import generate_password_hash

from tests import factories

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# `make test` runs workers gw0, gw1, ...: each flushes a Redis database of its own (the next numbers, of 16)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    _base, _number = REDIS_URL.rsplit("/", 1)
    REDIS_URL = f"{_base}/{(int(_number) + int(_WORKER[2:])) % 16}"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(what, exc):
    message = f"{what} is not reachable ({exc}); start it or set the TEST_* URL"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _server_connection():
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Scrypt costs over 0.1 s a hash and tests make staff by the hundred; the hash method is not under test here
    (check_password_hash reads the method from the hash, so processes a test starts read these too)."""
    import models.staff

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models.staff, "generate_password_hash",
                      functools.partial(generate_password_hash, method="pbkdf2:sha256:1000"))
        yield


@pytest.fixture(scope="session")
def database_url():
    try:
        admin = _server_connection()
    except psycopg.Error as exc:
        _unavailable("PostgreSQL", exc)
    name = f"mc_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = SERVER_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig, _database_url

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(database_url)
        # Up to 70 at once for the tests that race threads; only 10 stay open idle, so the test processes of one run
        # (`make test`) leave each other room under PostgreSQL's 100 connections (tests/connection_budget.py).
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 60}

    application = create_app(Config)
    with application.app_context():
        upgrade()
    server = _serve_in_background(application)
    yield application
    server.shutdown()
    from extensions import db as database

    with application.app_context():
        for engine in database.engines.values():
            engine.dispose()


def _serve_in_background(application):
    """The app over real HTTP on a free port: the sandbox that the app's channel clients call, and e2e pages."""
    import threading

    from werkzeug.serving import make_server

    from config import REAL_ENDPOINTS, resolve_channel_endpoints

    server = make_server("127.0.0.1", 0, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    application.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    application.config.update({key: "" for key in REAL_ENDPOINTS})
    resolve_channel_endpoints(application.config)
    return server


@pytest.fixture()
def live_server(app, db):
    """The URL of the app served over HTTP (same database as the test)."""
    return app.config["PUBLIC_BASE_URL"]


@pytest.fixture()
def db(app):
    """An app context with its session, and empty tables afterwards."""
    from app import configure_credentials_cipher
    from extensions import db as database

    # The credentials cipher is process-wide and the last app made sets it: an earlier test's own app (SQLite, a
    # probe) may have left its secret's, and credentials written here must open in processes started with this
    # app's SECRET_KEY (tests/integration/scale).
    configure_credentials_cipher(app)
    ctx = app.app_context()
    ctx.push()
    yield database
    database.session.remove()
    with database.engine.begin() as connection:
        connection.exec_driver_sql(_emptying(connection, database.metadata))
    ctx.pop()


def _emptying(connection, metadata):
    """Every table emptied and every id sequence used since back at 1, as one script. DELETE, children first,
    rather than TRUNCATE: a test leaves a few rows, and TRUNCATE replaces every table's files (half a second per
    test). setval rather than ALTER SEQUENCE … RESTART, which gives each sequence a new file too (0.15 s a test)."""
    global _EMPTYING
    if _EMPTYING is None:
        deletes = [f'DELETE FROM "{t.name}";' for t in reversed(metadata.sorted_tables)]
        _EMPTYING = " ".join(deletes + [
            "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, 1, false)"
            " FROM pg_sequences WHERE last_value IS NOT NULL;"])
    return _EMPTYING


_EMPTYING = None


@pytest.fixture()
def make(db):
    """Factories: make.merchant(), make.staff(merchant, role=...), make.member(merchant, ...) and so on."""
    return factories.Factories(db.session)


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def login(client):
    """login(staff) signs the test client in as that staff member."""

    def sign_in(staff, password=factories.PASSWORD):
        response = client.post("/backoffice/login", data={
            "merchant": staff.merchant.slug, "username": staff.username, "password": password,
        })
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture()
def redis_url():
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        connection.ping()
    except RedisError as exc:
        _unavailable("Redis", exc)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()


@pytest.fixture(autouse=True)
def _fresh_merchant_memory():
    """Each test's merchants may reuse an earlier test's ids: no remembered configuration crosses tests."""
    from services.shared import merchant_memory

    merchant_memory.forget_all()
    yield
