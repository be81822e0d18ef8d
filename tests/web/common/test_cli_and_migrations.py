"""The embedded path `make run` takes: migrations on SQLite, demo data, CLI commands."""
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def flask(tmp_path, *args):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin", "REDIS_URL": ""}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_do_migrations_and_demo_data_work_on_a_fresh_sqlite_database(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    first = flask(tmp_path, "seed-demo")
    assert first.returncode == 0 and "created" in first.stdout
    again = flask(tmp_path, "seed-demo")
    assert again.returncode == 0 and "already present" in again.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        held = dict(database.execute("SELECT kind, count(*) FROM cards WHERE member_id IS NOT NULL GROUP BY kind"))
        coupons_held = database.execute("SELECT count(*) FROM coupon_codes").fetchone()[0]
    assert held == {"count": 1, "timed": 1, "gift": 1, "benefit": 1} and coupons_held >= 4
    created = flask(tmp_path, "create-merchant", "--slug", "cafe2", "--name", "第二家")
    assert created.returncode == 0, created.stderr
    staff = flask(tmp_path, "create-staff", "--merchant", "cafe2", "--username", "boss", "--name", "老板",
                  "--role", "owner", "--password", "longpassword")
    assert staff.returncode == 0, staff.stderr
    refused = flask(tmp_path, "create-staff", "--merchant", "cafe2", "--username", "c1", "--name", "收银",
                    "--role", "cashier", "--password", "longpassword")
    assert refused.returncode != 0 and "门店" in refused.stderr
    assert flask(tmp_path, "expire-points").returncode == 0
    due = flask(tmp_path, "start-due-sends")
    assert due.returncode == 0 and "0 sends started" in due.stdout, due.stderr
