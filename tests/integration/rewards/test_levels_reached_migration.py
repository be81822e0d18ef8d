"""The levels_reached backfill counts only the levels a member moved up into (migrations 0014 and 0018), on
PostgreSQL and on the embedded SQLite, from the level history an older database holds."""
import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from tests.conftest import SERVER_URL, _unavailable

BEFORE_GIFT_RULES = "0013_reward_rules"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_at(request, tmp_path):
    """A new empty database of the kind, as a URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    try:
        admin = psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        _unavailable("PostgreSQL", exc)
    name = f"mc_migration_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{SERVER_URL.rsplit('/', 1)[0]}/{name}"
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    admin.execute(f'DROP DATABASE "{name}"')
    admin.close()


def app_on(url):
    from app import create_app
    from config import TestConfig, _database_url

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)

    return create_app(Config)


def insert(connection, table, **values):
    columns = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)})"),
                       {**values, "created_at": NOW})


def old_history(connection):
    """One merchant, levels 普通 < 银卡 < 金卡, and members whose history the gifts must read right."""
    insert(connection, "merchants", id=1, slug="old", name="老店", timezone="Asia/Shanghai",
           points_expiry_mode="never", created_at=NOW)
    for level_id, rank, name in ((1, 1, "普通"), (2, 2, "银卡"), (3, 3, "金卡")):
        insert(connection, "levels", id=level_id, merchant_id=1, rank=rank, name=name, discount_percent=100,
               points_multiplier_tenths=10, created_at=NOW)
    members = {"climber": 3, "moved_down": 2, "no_history": 2, "joined_before_history": 3}
    for member_id, (name, level_id) in enumerate(members.items(), start=1):
        insert(connection, "members", id=member_id, merchant_id=1, mobile=f"1390000000{member_id}", name=name,
               gender="unknown", custom_fields="{}", status="active", points_balance=0, total_spend=0,
               total_topup=0, visit_count=0, level_id=level_id, created_at=NOW)
    changes = [(1, None, 1, "join"), (1, 1, 3, "auto"),  # climber: joined, then straight to 金卡
               (2, None, 1, "join"), (2, 1, 3, "manual"), (2, 3, 2, "manual"),  # moved down into 银卡 by hand
               (4, 2, 3, "auto")]  # held 银卡 before the history began
    for change_id, (member_id, from_id, to_id, reason) in enumerate(changes, start=1):
        insert(connection, "level_changes", id=change_id, merchant_id=1, member_id=member_id,
               from_level_id=from_id, to_level_id=to_id, reason=reason, created_at=NOW)


def test_are_levels_moved_down_into_not_counted_as_reached(database_at):
    application = app_on(database_at)
    with application.app_context():
        from extensions import db

        upgrade(revision=BEFORE_GIFT_RULES)
        with db.engine.begin() as connection:
            old_history(connection)
        upgrade()
        with db.engine.connect() as connection:
            reached = sorted(connection.execute(text("SELECT member_id, level_id FROM levels_reached")).all())
        db.engine.dispose()
    assert reached == [(1, 1), (1, 3),  # the join's level and the climb
                       (2, 1), (2, 3),  # not 银卡: moved down into it, never up
                       (3, 2),  # the level held, with no history to say otherwise
                       (4, 2), (4, 3)]  # held before the history, then climbed
