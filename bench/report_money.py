"""The stored value and points reports' day queries over a large journal and points ledger on PostgreSQL.

Run: .venv/bin/python bench/report_money.py [--members 1000000] [--journal 10000000] [--points 10000000]
     [--days 365] [--repeat 3]

Creates a throwaway database on BENCH_DATABASE_URL's server, migrates it, seeds one merchant with five stores and,
with SQL generate_series: --members members with a wallet each and a gift card wallet for one in twenty, --journal
stored-value journal rows over --days days (three in ten paid top-ups of an order, online or at a counter, with
bonus; half spending at the till; refunds of both, 积分转储值, gift cards credited and spent) and --points points
changes of every kind. ANALYZEs, then times, for each family (`wallet`, `wallet_balance`, `points`): rebuilding
every day in order (the balance chained from the day before), then yesterday alone with nothing built before it
(the balance summed over the whole journal, the worst case) and chained again (the others once more); then the two report pages over 30
and --days days, best and median of --repeat. Drops the database.
"""
import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.verify import bench_shop, migrated_database, seeding_app  # noqa: E402

PAGES = ("/backoffice/reports/stored-value", "/backoffice/reports/points")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--journal", type=int, default=10_000_000)
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"stored value and points reports: {args.members:,} members, {args.journal:,} journal rows, "
          f"{args.points:,} points changes over {args.days} days")
    with migrated_database("") as (url, _name, _env):
        app = seeding_app(url)
        merchant_id = seed(app, url, args)
        rebuild(app, merchant_id, args.days)
        pages(app, merchant_id, args.days, args.repeat)
        with app.app_context():
            from extensions import db
            db.engine.dispose()


def seed(app, url, args):
    from extensions import db
    from services.merchant import stores

    began = time.monotonic()
    with app.app_context():
        merchant, store, owner = bench_shop(db.session)
        store_ids = [store.id] + [stores.create_store(db.session, merchant.id, f"门店{n}").id for n in range(2, 6)]
        db.session.commit()
        merchant_id = merchant.id
        db.engine.dispose()
    params = {"m": merchant_id, "n": args.members, "journal": args.journal, "points": args.points,
              "days": args.days, "stores": store_ids}
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in SEED:
            connection.execute(statement, params)
        connection.execute("ANALYZE")
    print(f"  seeded in {time.monotonic() - began:.0f} s")
    return merchant_id


# Row n of the journal happens at now - n * days / journal (row 1 newest); n % 20 picks what it is. Top-ups are
# credits of an order (online when n % 40 < 20, else at a store's counter); wallets are the member's, gift cards'
# one in twenty. Balances after are not kept exact: the reports never read them.
SEED = [
    """
    INSERT INTO members (merchant_id, mobile, gender, custom_fields, status, points_balance, total_spend,
                         total_topup, visit_count, growth, created_at)
    SELECT %(m)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json, 'active', 0, 0, 0, 0, 0,
           now() - make_interval(days => %(days)s + 1)
    FROM generate_series(1::bigint, %(n)s) AS n
    """,
    """
    INSERT INTO wallets (merchant_id, member_id, kind, principal, bonus, frozen, created_at)
    SELECT merchant_id, id, 'member', 0, 0, false, created_at FROM members WHERE merchant_id = %(m)s
    UNION ALL
    SELECT merchant_id, NULL, 'gift_card', 0, 0, false, created_at FROM members
    WHERE merchant_id = %(m)s AND id %% 20 = 0
    """,
    """
    CREATE TEMPORARY TABLE bench_rows ON COMMIT PRESERVE ROWS AS
    SELECT n, n %% 20 AS what, n %% 40 < 20 AS online,
           (%(stores)s::int[])[1 + n %% cardinality(%(stores)s::int[])] AS store_id,
           (SELECT min(id) FROM members WHERE merchant_id = %(m)s) + (n * 7919) %% %(n)s AS member_id,
           100 * (10 + (n * 31) %% 990) AS amount,
           now() - make_interval(secs => (n * 86400.0 * %(days)s / %(journal)s)) AS at
    FROM generate_series(1::bigint, %(journal)s) AS n
    """,
    """
    INSERT INTO orders (merchant_id, member_id, store_id, kind, state, channel, out_trade_no, amount, currency,
                        description, items, idempotency_key, expires_at, paid_at, fulfilled_at, refunded_amount,
                        fulfilment, created_at)
    SELECT %(m)s, r.member_id, CASE WHEN r.online THEN NULL ELSE r.store_id END, 'topup', 'fulfilled',
           (CASE WHEN r.online THEN ARRAY['wechat', 'alipay'] ELSE ARRAY['cash', 'bankcard'] END)[1 + r.n %% 2],
           'B' || r.n, r.amount, 'CNY', '储值充值', '{}'::json, 'bench-order-' || r.n, r.at, r.at, r.at, 0,
           '{}'::json, r.at
    FROM bench_rows r
    WHERE r.what < 6
    """,
    """
    INSERT INTO wallet_transactions (merchant_id, wallet_id, kind, principal_delta, bonus_delta, principal_after,
                                     bonus_after, reference_type, reference_id, idempotency_key, store_id, created_at)
    SELECT %(m)s, CASE WHEN r.what IN (18, 19) THEN gift.first + r.n %% gift.count ELSE mw.id END,
           CASE WHEN r.what < 6 OR r.what IN (16, 18) THEN 'credit' WHEN r.what < 16 OR r.what = 19 THEN 'debit'
                WHEN r.what = 17 THEN 'withdraw' ELSE 'refund' END,
           CASE WHEN r.what < 6 OR r.what = 18 THEN r.amount WHEN r.what = 16 THEN 0
                WHEN r.what < 16 OR r.what = 19 THEN -r.amount * 9 / 10 WHEN r.what = 17 THEN -r.amount
                ELSE r.amount / 2 END,
           CASE WHEN r.what < 6 THEN r.amount / 10 WHEN r.what = 16 THEN 100 WHEN r.what < 16 OR r.what = 19
                THEN -(r.amount - r.amount * 9 / 10) WHEN r.what = 17 THEN -(r.amount / 10) ELSE 0 END,
           0, 0,
           CASE WHEN r.what < 6 THEN 'order' WHEN r.what = 16 THEN 'points_to_balance' WHEN r.what = 17
                THEN 'order_refund' WHEN r.what IN (18, 19) THEN 'gift_card' WHEN r.what >= 6 AND r.what < 16
                THEN 'checkout' END,
           CASE WHEN r.what < 6 THEN o.id::text ELSE r.n::text END,
           'bench-' || r.n, CASE WHEN r.what < 6 AND r.online OR r.what = 17 THEN NULL ELSE r.store_id END, r.at
    FROM bench_rows r
    JOIN wallets mw ON mw.member_id = r.member_id AND mw.kind = 'member'
    CROSS JOIN (SELECT min(id) AS first, count(*) AS count FROM wallets
                WHERE merchant_id = %(m)s AND kind = 'gift_card') AS gift
    LEFT JOIN orders o ON o.merchant_id = %(m)s AND o.idempotency_key = 'bench-order-' || r.n
    """,
    "DROP TABLE bench_rows",
    """
    INSERT INTO points_transactions (merchant_id, member_id, kind, amount, balance_after, idempotency_key, store_id,
                                     created_at)
    SELECT %(m)s, base.first + (p.n * 7919) %% %(n)s,
           (ARRAY['earn', 'earn', 'earn', 'spend', 'spend', 'expire', 'adjust', 'adjust', 'reverse', 'referral'])
           [1 + p.n %% 10],
           CASE WHEN p.n %% 10 IN (3, 4, 5, 7, 8) THEN -1 ELSE 1 END * (1 + (p.n * 13) %% 500), 1000,
           'bench-p-' || p.n,
           CASE WHEN p.n %% 10 NOT IN (5, 9) THEN (%(stores)s::int[])[1 + p.n %% cardinality(%(stores)s::int[])] END,
           now() - make_interval(secs => (p.n * 86400.0 * %(days)s / %(points)s))
    FROM generate_series(1::bigint, %(points)s) AS p(n),
         (SELECT min(id) AS first FROM members WHERE merchant_id = %(m)s) AS base
    """,
]


def rebuild(app, merchant_id, days):
    from sqlalchemy import delete

    from domain.clock import local_today
    from extensions import db
    from models import Merchant, ReportBuiltDay, ReportDaily
    from services.reports import catalogue, rollups

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        tz, today = merchant.timezone, local_today(merchant.timezone)
        yesterday = today - timedelta(days=1)
        for name in ("wallet", "wallet_balance", "points"):
            fam = catalogue.family(name)
            began = time.perf_counter()
            for n in range(days, 0, -1):
                rollups.rebuild_day(db.session, merchant_id, tz, fam, today - timedelta(days=n))
                db.session.commit()
            seconds = time.perf_counter() - began
            print(f"  rebuild {name:<15} {days} days in order {seconds:6.1f} s  ({seconds / days * 1000:7.1f} ms/day)")
            for label in (("alone", "chained") if fam.snapshot else ("again",)):
                if label == "alone":
                    for model in (ReportDaily, ReportBuiltDay):
                        db.session.execute(delete(model).where(model.family == name, model.day < yesterday))
                    db.session.commit()
                else:
                    rollups.rebuild_day(db.session, merchant_id, tz, fam, yesterday - timedelta(days=1))
                began = time.perf_counter()
                rollups.rebuild_day(db.session, merchant_id, tz, fam, yesterday)
                db.session.commit()
                print(f"  rebuild {name:<15} yesterday, {label:<8} {(time.perf_counter() - began) * 1000:9.1f} ms")
        for n in range(days, 0, -1):  # everything built again for the pages
            for name in ("wallet", "wallet_balance", "points"):
                rollups.rebuild_day(db.session, merchant_id, tz, catalogue.family(name), today - timedelta(days=n))
            db.session.commit()


def pages(app, merchant_id, days, repeat):
    from domain.clock import local_today
    from extensions import db
    from models import Merchant, Staff

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        owner = db.session.query(Staff).filter_by(merchant_id=merchant_id, role="owner").first()
        today = local_today(merchant.timezone)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = owner.get_id()
            session["_fresh"] = True
        for path in PAGES:
            for span in sorted({30, days}):
                timings = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    response = client.get(f"{path}?start={(today - timedelta(days=span - 1)).isoformat()}")
                    timings.append(time.perf_counter() - began)
                    assert response.status_code == 200, (path, response.status_code)
                print(f"  {path} {span} d".ljust(48) + f"best {min(timings) * 1000:7.1f} ms   median "
                      f"{statistics.median(timings) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
