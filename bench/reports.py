"""Reports over 1,000,000 members and 10,000,000 till payments on PostgreSQL.

Run: .venv/bin/python bench/reports.py [--members 1000000] [--payments 10000000] [--stores 20] [--repeat 3]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL), migrates it, and builds one
merchant's year with SQL generate_series: members joined over three years across the stores, payments spread over
the last 365 days (a quarter walk-ins, a fifth from balance, a third with a level discount), 2% refunded, plus the
points, stored-value, fans and coupon rows the other report families read (bench/report_data.py). ANALYZE.

Then, in the same run:
- rebuild: every family's rollups for the 365 days (the nightly job's work, day by day), seconds per day;
- each report page (GET through the app, signed in as the owner) over the last 30 and the last 365 days, and the
  dashboard: best and median of --repeat;
- baseline: the plain SQL a report without rollups would run for the same 365 days, sum(pay) and count(*) of the
  payments grouped by day (an index range scan of 10M rows), best and median; the ratio report/baseline.
The target: every report page under 1 s.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import report_data  # noqa: E402
from bench.verify import migrated_database, seeding_app  # noqa: E402

PAGES = ["/backoffice/", "/backoffice/reports/sales", "/backoffice/reports/members",
         "/backoffice/reports/stored-value", "/backoffice/reports/points", "/backoffice/reports/coupons",
         "/backoffice/reports/cards"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"reports benchmark: {args.members:,} members, {args.payments:,} payments, {args.stores} stores")
    with migrated_database("") as (url, _name, _env):
        app = seeding_app(url)
        merchant_id = report_data.seed(app, url, args.members, args.payments, args.stores)
        rebuild(app, merchant_id)
        pages(app, merchant_id, args.repeat)
        baseline(url, merchant_id, args.repeat)
        with app.app_context():
            from extensions import db
            db.engine.dispose()


def rebuild(app, merchant_id):
    from datetime import timedelta

    from domain.clock import local_today
    from extensions import db
    from jobs import reports as report_jobs
    from models import Merchant
    from services.reports import catalogue

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        today = local_today(merchant.timezone)
        for fam in catalogue.all_families():
            began = time.perf_counter()
            days = report_jobs.rebuild_days(db.session, merchant, today - timedelta(days=365), today, [fam.name])
            seconds = time.perf_counter() - began
            print(f"  rebuild {fam.name:<14} {days} days in {seconds:6.1f} s  ({seconds / days * 1000:7.1f} ms/day)")


def pages(app, merchant_id, repeat):
    from datetime import timedelta

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
        routes = {rule.rule for rule in app.url_map.iter_rules()}
        for path in PAGES:
            if path.rstrip("/") not in {r.rstrip("/") for r in routes}:
                print(f"  {path:<36} (not built yet)")
                continue
            for days in (30, 365):
                query = "" if path == "/backoffice/" else f"?start={(today - timedelta(days=days - 1)).isoformat()}"
                if path == "/backoffice/" and days == 365:
                    continue
                timings = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    response = client.get(path + query)
                    timings.append(time.perf_counter() - began)
                    assert response.status_code == 200, (path, response.status_code)
                label = path if path == "/backoffice/" else f"{path} {days} d"
                print(f"  {label:<40} best {min(timings) * 1000:7.1f} ms   median "
                      f"{statistics.median(timings) * 1000:7.1f} ms")


def baseline(url, merchant_id, repeat):
    timings = []
    with psycopg.connect(url) as connection:
        for _ in range(repeat):
            began = time.perf_counter()
            connection.execute(
                "SELECT date_trunc('day', created_at AT TIME ZONE 'Asia/Shanghai'), count(*), sum(pay)"
                " FROM checkouts WHERE merchant_id = %s AND created_at >= now() - interval '365 days'"
                " GROUP BY 1", (merchant_id,)).fetchall()
            timings.append(time.perf_counter() - began)
    print(f"  baseline: raw payments per day, 365 d   best {min(timings) * 1000:7.1f} ms   median "
          f"{statistics.median(timings) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
