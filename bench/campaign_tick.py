"""The scheduler's tick over a birthday campaign at a million members, and the run it opens.

Run: .venv/bin/python bench/campaign_tick.py [--members 1000000]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL), migrates it, makes one
merchant with --members members whose birthdays spread over the year (SQL generate_series), one coupon and a
birthday campaign (3 days before, 9:00) that is on, then times through the real services:

- tick: `services.campaigns.runs.tick` at 10:00 local: the day's occasion found, its members (about 4/365 of all:
  those whose birthday falls in the next 3 days) frozen into campaign_targets by one INSERT … SELECT, and chunked;
- a second tick a minute later (nothing due: what every other minute costs);
- give: the run's chunks given out (coupons and points), as the job does.

Baseline in the same run: a plain count(*) of the merchant's members (the audience count's baseline); the tick is
printed as a ratio to it. The issue's target: under 5 s per tick.
"""
import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.verify import migrated_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    with migrated_database("") as (url, _name, _env):
        app = make_app(url)
        merchant_id, owner_id = seed(app, url, args.members)
        baseline = count_baseline(url, merchant_id)
        measure(app, merchant_id, owner_id, args.members, baseline)
        from extensions import db
        with app.app_context():
            db.engine.dispose()


def make_app(url):
    from app import create_app
    from config import TestConfig, _database_url

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)

    return create_app(Config)


def seed(app, url, count):
    began = time.monotonic()
    from extensions import db
    from services.merchant import merchants, staff

    with app.app_context():
        merchant = merchants.create_merchant(db.session, "bench", "压测商户")
        owner = staff.create_staff(db.session, merchant.id, username="bench", name="压测", role="owner",
                                   password="bench-password", store_ids=[])
        db.session.commit()
        merchant_id, owner_id = merchant.id, owner.id
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """
            INSERT INTO members (merchant_id, mobile, gender, custom_fields, status, points_balance, total_spend,
                                 total_topup, visit_count, growth, birthday, birthday_month, created_at)
            SELECT %(merchant)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json, 'active', 0, 0, 0, 0, 0,
                   d, extract(month FROM d), now()
            FROM generate_series(1::bigint, %(count)s) AS n,
                 LATERAL (SELECT date '1970-01-01' + (n * 7919 %% 14000)::int AS d) AS born
            """, {"merchant": merchant_id, "count": count})
        connection.execute("ANALYZE")
    print(f"seeded {count} members in {time.monotonic() - began:.1f} s")
    return merchant_id, owner_id


def count_baseline(url, merchant_id):
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT count(*) FROM members WHERE merchant_id = %s", (merchant_id,))
        began = time.perf_counter()
        connection.execute("SELECT count(*) FROM members WHERE merchant_id = %s", (merchant_id,))
        return time.perf_counter() - began


def measure(app, merchant_id, owner_id, count, baseline):
    from extensions import db
    from models import CampaignRun, Staff
    from services.campaigns import runs, setup
    from services.coupons import templates as coupon_templates

    runs.job_queue.enqueue = lambda *args, **kwargs: None  # the bench gives the run itself, timed apart
    with app.app_context():
        owner = db.session.get(Staff, owner_id)
        coupon = coupon_templates.save_template(db.session, owner, None, kind="cash", title="生日券", amount_off=1000,
                                                validity_mode="relative", valid_days=30, per_member_limit=1)
        switched = datetime(2026, 12, 6, 0, tzinfo=timezone.utc)
        campaign = setup.save(db.session, owner, None, name="生日礼", kind="birthday", now=switched,
                              schedule={"mode": "days_before", "days_before": 3, "hour": 9},
                              rewards={"coupons": [{"template_id": coupon.id, "count": 1}], "points": 100})
        setup.switch_on(db.session, owner, campaign.id, now=switched)
        db.session.commit()

        began = time.perf_counter()
        started = runs.tick(db.session, datetime(2026, 12, 6, 2, tzinfo=timezone.utc))
        db.session.commit()
        tick = time.perf_counter() - began
        began = time.perf_counter()
        runs.tick(db.session, datetime(2026, 12, 6, 2, 1, tzinfo=timezone.utc))
        db.session.commit()
        idle_tick = time.perf_counter() - began
        run = db.session.get(CampaignRun, started[0])
        began = time.perf_counter()
        while runs.run_chunk(db.session, run.id):
            db.session.commit()
        db.session.commit()
        give = time.perf_counter() - began
        db.session.refresh(run)
        print(f"members {count}; birthday run targeted {run.targeted}, rewarded {run.rewarded}, "
              f"coupons {run.coupons}, points {run.points}")
        print(f"baseline count(*) of the members: {baseline * 1000:.0f} ms")
        print(f"tick (occasion found, targets frozen, chunked): {tick:.2f} s = {tick / baseline:.1f}x the count")
        print(f"next tick (nothing due): {idle_tick * 1000:.0f} ms")
        print(f"give the run ({run.targeted} members, coupons and points): {give:.2f} s, "
              f"{give / max(run.targeted, 1) * 1e6:.0f} µs a member")


if __name__ == "__main__":
    main()
