"""Counting an audience (人群) of combined filters over a million members on PostgreSQL.

Run: .venv/bin/python bench/audience.py [--members 1000000] [--repeat 5]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL), migrates it, makes one
merchant's members with SQL generate_series (levels, genders, birthdays, visits, spend, last visits, points
spread over them; a tenth with a wallet), ANALYZEs, then times services/audiences' count of four combined
filters (gender, birthday month, visit count range, dormant for 30 days), and a plain count(*) of the members
table in the same run as the baseline. Prints the best and median of --repeat runs and their ratio.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.verify import migrated_database, seeding_app  # noqa: E402

FOUR_FILTERS = {"genders": ["female"], "birthday_months": ["3", "4"], "visits_min": "2", "visits_max": "20",
                "not_visited_days": "30"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with migrated_database("") as (url, name, env):
        merchant_id = seed(url, args.members)
        run(url, merchant_id, args.members, args.repeat)


def seed(url, count):
    began = time.monotonic()
    app = seeding_app(url)
    from extensions import db
    from services.merchant import merchants

    with app.app_context():
        merchant = merchants.create_merchant(db.session, "bench", "压测商户")
        db.session.commit()
        merchant_id = merchant.id
        db.engine.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        level_ids = [row[0] for row in connection.execute(
            "SELECT id FROM levels WHERE merchant_id = %s ORDER BY rank", (merchant_id,))] or [None]
        connection.execute(
            """
            INSERT INTO members (merchant_id, mobile, gender, birthday, birthday_month, custom_fields, level_id,
                                 status, points_balance, total_spend, total_topup, visit_count, last_visit_at,
                                 growth, created_at)
            SELECT %(merchant)s, '1' || lpad(n::text, 10, '0'),
                   (ARRAY['unknown', 'male', 'female'])[1 + n %% 3],
                   date '1970-01-01' + (n * 37 %% 18000)::int,
                   extract(month FROM date '1970-01-01' + (n * 37 %% 18000)::int)::smallint,
                   '{}'::json, (%(levels)s::int[])[1 + n %% cardinality(%(levels)s::int[])], 'active',
                   n %% 5000, (n * 7919) %% 2000000, 0, n %% 40,
                   CASE WHEN n %% 7 = 0 THEN NULL ELSE now() - make_interval(days => (n %% 400)::int) END,
                   0, now() - make_interval(days => (n %% 1000)::int)
            FROM generate_series(1::bigint, %(count)s) AS n
            """, {"merchant": merchant_id, "levels": level_ids, "count": count})
        connection.execute(
            """
            INSERT INTO wallets (merchant_id, member_id, kind, principal, bonus, frozen, updated_at, created_at)
            SELECT merchant_id, id, 'member', (id * 131) %% 100000, 0, false, now(), now()
            FROM members WHERE merchant_id = %s AND id %% 10 = 0
            """, (merchant_id,))
        connection.execute("ANALYZE")
    print(f"seeded {count} members (a tenth with a wallet) in {time.monotonic() - began:.1f} s")
    return merchant_id


def run(url, merchant_id, count, repeat):
    from extensions import db
    from services.audiences import filters as audience_filters, members_in

    app = seeding_app(url)
    chosen = audience_filters.parse(FOUR_FILTERS)
    with app.app_context():
        members_in.count(db.session, merchant_id, chosen)  # warm the statement and the cache
        audience, baseline, found = [], [], None
        for _ in range(repeat):
            began = time.perf_counter()
            found = members_in.count(db.session, merchant_id, chosen)
            audience.append(time.perf_counter() - began)
            began = time.perf_counter()
            db.session.execute(db.text("SELECT count(*) FROM members")).scalar()
            baseline.append(time.perf_counter() - began)
        db.session.rollback()
        db.engine.dispose()
    best, median = min(audience), statistics.median(audience)
    base_best, base_median = min(baseline), statistics.median(baseline)
    print(f"audience of 4 filters ({', '.join(FOUR_FILTERS)}) over {count} members: {found} members")
    print(f"  audience count   best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    print(f"  plain count(*)   best {base_best * 1000:8.1f} ms   median {base_median * 1000:8.1f} ms")
    print(f"  ratio (median)   {median / base_median:.2f}x   (target: the audience count under 1 s)")


if __name__ == "__main__":
    main()
