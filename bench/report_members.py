"""The members report's day queries over a million members and ten million till payments on PostgreSQL.

Run: .venv/bin/python bench/report_members.py [--members 1000000] [--checkouts 10000000] [--days 365]
     [--url postgresql://.../db (reuse a database seeded by an earlier run with --keep; no seeding)] [--keep]

Creates a throwaway database on BENCH_DATABASE_URL's server, migrates it, seeds one merchant with five stores,
three levels and a store's, a staff member's and two share channels' join codes, then with SQL generate_series:
--members members joined over --days days (two in five with a home store; seven in ten with a join attribution,
through a code, a staff member or nobody), a level change each at joining and an upgrade for three in ten, half
as many WeChat fans (a third unfollowed, half linked to a member) and --checkouts till payments (four in five by
members) over the same days. ANALYZEs, then times rebuilding yesterday, a day half the period back and today of
both families (`members`: new members by channel and the fans; `member_totals`: the snapshot of members on the
books, active, dormant and per level), and prints each. Drops the database unless --keep.
"""
import argparse
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.verify import SERVER_URL, VENV_BIN, bench_shop, migrated_database, seeding_app  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--checkouts", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--url", default="", help="an already seeded database (from --keep): time only")
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.days)
        return
    with _database(args.keep) as url:
        seed(url, args)
        run(url, args.days)


@contextmanager
def _database(keep):
    if not keep:
        with migrated_database("") as (url, _name, _env):
            yield url
        return
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    url = SERVER_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "REDIS_URL": "", "SANDBOX_ENABLED": "0"}
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"database kept (drop it when done): {url}")
    yield url


def seed(url, args):
    began = time.monotonic()
    app = seeding_app(url)
    from extensions import db
    from services.members import levels
    from services.merchant import stores
    from services.recruitment import sources

    with app.app_context():
        merchant, store, owner = bench_shop(db.session)
        store_ids = [store.id] + [stores.create_store(db.session, merchant.id, f"门店{n}").id for n in range(2, 6)]
        level_ids = [levels.save_level(db.session, owner, None, rank=rank, name=name, discount_percent=100).id
                     for rank, name in ((1, "普通"), (2, "银卡"), (3, "金卡"))]
        source_ids = [sources.for_store(db.session, store).id, sources.for_staff(db.session, owner).id,
                      sources.for_share(db.session, merchant.id, "moments").id,
                      sources.for_share(db.session, merchant.id, "poster").id]
        db.session.commit()
        merchant_id, owner_id = merchant.id, owner.id
        db.engine.dispose()
    params = {"m": merchant_id, "n": args.members, "days": args.days, "stores": store_ids, "levels": level_ids,
              "sources": source_ids, "owner": owner_id, "checkouts": args.checkouts}
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in SEED:
            connection.execute(statement, params)
        connection.execute("ANALYZE")
    print(f"seeded {args.members} members, {args.checkouts} checkouts in {time.monotonic() - began:.0f} s")


# Members join evenly over the days (the newest first by id); level 1 at joining, an upgrade for three in ten.
SEED = [
    """
    INSERT INTO members (merchant_id, mobile, gender, custom_fields, level_id, status, points_balance, total_spend,
                         total_topup, visit_count, growth, home_store_id, created_at)
    SELECT %(m)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json,
           (%(levels)s::int[])[CASE WHEN n %% 10 < 3 THEN 2 + n %% 2 ELSE 1 END], 'active', 0, 0, 0, 0, 0,
           CASE WHEN n %% 5 < 2 THEN (%(stores)s::int[])[1 + n %% 5] END,
           now() - make_interval(secs => (n * 86400.0 * %(days)s / %(n)s))
    FROM generate_series(1::bigint, %(n)s) AS n
    """,
    """
    INSERT INTO attributions (merchant_id, key, event, member_id, source_id, staff_id, store_id, amount, created_at)
    SELECT merchant_id, 'join:' || id, 'join', id,
           CASE WHEN id %% 10 < 4 THEN (%(sources)s::int[])[1 + id %% 4] END,
           CASE WHEN id %% 10 IN (4, 5) THEN %(owner)s END,
           CASE WHEN id %% 10 IN (4, 5) THEN (%(stores)s::int[])[1 + id %% 5] END, 0, created_at
    FROM members WHERE merchant_id = %(m)s AND id %% 10 < 7
    """,
    """
    INSERT INTO level_changes (merchant_id, member_id, from_level_id, to_level_id, reason, created_at)
    SELECT merchant_id, id, NULL, (%(levels)s::int[])[1], 'join', created_at FROM members WHERE merchant_id = %(m)s
    UNION ALL
    SELECT merchant_id, id, (%(levels)s::int[])[1], level_id, 'auto',
           created_at + (now() - created_at) * ((id %% 7) + 1) / 8
    FROM members WHERE merchant_id = %(m)s AND level_id <> (%(levels)s::int[])[1]
    """,
    """
    INSERT INTO fans (merchant_id, app_id, openid, subscribed, subscribed_at, unsubscribed_at, member_id, created_at)
    SELECT %(m)s, 'wxbench', 'o' || n, n %% 3 <> 0, at, CASE WHEN n %% 3 = 0 THEN at + interval '3 days' END,
           CASE WHEN n %% 2 = 0 THEN 2 * n END, at
    FROM (SELECT n, now() - make_interval(secs => (2 * n * 86400.0 * %(days)s / %(n)s)) - interval '1 hour' AS at
          FROM generate_series(1::bigint, %(n)s / 2) AS n) AS f
    """,
    """
    INSERT INTO checkouts (merchant_id, member_id, store_id, source, amount, discount, pay, tender, balance_paid,
                           points_used, points_earned, coupon_code_ids, steps, state, refunded_amount,
                           idempotency_key, created_at)
    SELECT %(m)s, CASE WHEN n %% 5 <> 0 THEN 1 + (n * 7919) %% %(n)s END, (%(stores)s::int[])[1 + n %% 5], 'staff',
           1000 + n %% 9000, 0, 1000 + n %% 9000, 'cash', 0, 0, 0, '[]'::json, '[]'::json, 'paid', 0, 'b' || n,
           now() - make_interval(secs => (n * 86400.0 * %(days)s / %(checkouts)s))
    FROM generate_series(1::bigint, %(checkouts)s) AS n
    """,
]


def run(url, days):
    app = seeding_app(url)
    from domain.clock import local_today
    from extensions import db
    from models import Merchant
    from services.reports import catalogue, rollups

    with app.app_context():
        merchant = db.session.query(Merchant).filter_by(slug="bench").one()
        today = local_today(merchant.timezone)
        for name in ("members", "member_totals"):
            fam = catalogue.family(name)
            for label, day in (("yesterday", today - timedelta(days=1)),
                               (f"{days // 2} days back", today - timedelta(days=days // 2)), ("today", today)):
                began = time.monotonic()
                rollups.rebuild_day(db.session, merchant.id, merchant.timezone, fam, day)
                db.session.commit()
                print(f"{name:14} {label:14} {time.monotonic() - began:6.2f} s")
        db.engine.dispose()


if __name__ == "__main__":
    main()
