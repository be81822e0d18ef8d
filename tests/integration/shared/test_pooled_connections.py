"""Is a pooled PostgreSQL connection that the server closed replaced before use, with no round trip to check?"""
import time

import psycopg
import pytest
from sqlalchemy import create_engine, event

from tests.conftest import SERVER_URL


@pytest.fixture
def one_connection_engine(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    yield engine, statements
    engine.dispose()


def backend_pid(engine):
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def terminate(pid):
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # the backend exits a moment after it is told to
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.02)


def test_a_live_pooled_connection_is_reused_without_a_ping(one_connection_engine):
    engine, statements = one_connection_engine
    first = backend_pid(engine)
    assert backend_pid(engine) == first
    assert statements == ["SELECT pg_backend_pid()"] * 2


def test_a_connection_the_server_terminated_is_replaced_and_the_request_succeeds(one_connection_engine):
    engine, _ = one_connection_engine
    first = backend_pid(engine)
    terminate(first)
    second = backend_pid(engine)
    assert second != first
    assert backend_pid(engine) == second


def test_the_app_answers_after_the_server_dropped_every_pooled_connection(db, make, client):
    from domain import roles
    from services.merchant import api_keys

    owner = make.staff(make.merchant(), role=roles.OWNER)
    headers = {"Authorization": f"Bearer {api_keys.create(db.session, owner, name='前台').plaintext}"}
    db.session.commit()
    assert client.get("/api/v1/verifications", headers=headers).status_code == 200
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        pids = [row[0] for row in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (db.engine.url.database,))]
    for pid in pids:
        terminate(pid)
    assert client.get("/api/v1/verifications", headers=headers).status_code == 200
