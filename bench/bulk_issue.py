"""Bulk coupon issue (批量发券) to 100,000, 300,000 and 1,000,000 members, through a real RQ worker, on PostgreSQL.

Run: .venv/bin/python bench/bulk_issue.py [--sizes 100000,300000,1000000] [--chunk 5000] [--statements]
     [--redis-url redis://127.0.0.1:6379/12]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL) and migrates it, makes one
merchant, its owner and one coupon template through the services (cash, valid 30 days from issue, one per member,
unlimited stock), then for each size N, from the same starting state (codes, bulk issues and members truncated,
then N active members made with SQL generate_series and VACUUM ANALYZE):

- baseline: a raw COPY of the same N rows the issue makes (merchant, template, member, a 16-character code from
  domain.coupons.new_codes, 'available', 'bulk', key `bulk:0:<member>`, the same validity window) into the real
  coupon_codes table, with its indexes, unique constraints and foreign keys, committed; the rows are made in Python
  before the clock starts, so the figure is what PostgreSQL needs to take them. Then TRUNCATE coupon_codes and
  VACUUM ANALYZE it, so the product starts from the same state;
- product: services.coupons.bulk.start for the owner, committed; then jobs.base.enqueue of
  jobs.coupons.bulk_issue (the app has REDIS_URL, so it goes onto the 'bulk' RQ queue in Redis db 12, flushed
  first) and an in-process rq.SimpleWorker working that queue in burst mode inside the app. Timed from the enqueue
  to the worker finishing the job (RQ's ended_at, stamped as soon as the job function returns); the burst worker's
  own shutdown after that (it joins its pub/sub thread with a 1 s timeout, and often waits it all) is printed
  apart, as a long-running worker never pays it. Checked afterwards with SQL: N codes with the bulk's keys,
  N distinct members, N distinct codes, the bulk 'done' with issued = N.

Printed per size: seconds and microseconds per coupon for both, and the ratio product/COPY. The target: the
product at most 1.25x the COPY of the same run, under 60 s for 1,000,000, and the time per coupon not rising with N.
--chunk overrides services.coupons.bulk.CHUNK; --statements adds where the job's time went, per kind of statement
(timed at the driver's cursor, so it includes the round trip).
"""
import argparse
import io
import os
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.verify import migrated_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TARGET_RATIO, TARGET_MILLION_SECONDS = 1.25, 60.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000,1000000",
                        help="comma-separated member counts, each measured from the same starting state")
    parser.add_argument("--chunk", type=int, default=None, help="override services.coupons.bulk.CHUNK")
    parser.add_argument("--statements", action="store_true",
                        help="also print the job's time per kind of statement")
    parser.add_argument("--redis-url", default=REDIS_URL, help="Redis database the job queue uses (flushed)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    from services.coupons import bulk as coupon_bulk
    if args.chunk:
        coupon_bulk.CHUNK = args.chunk
    print(f"bulk coupon issue benchmark: sizes {', '.join(f'{n:,}' for n in sizes)}, chunk {coupon_bulk.CHUNK}, "
          f"{os.cpu_count()} cores, Redis {args.redis_url}")

    results = []
    with migrated_database("") as (url, _name, _env):
        app = bench_app(url, args.redis_url)
        try:
            ids = seed_shop(app)
            for count in sizes:
                reset(url, ids, count)
                copy_seconds = copy_baseline(app, url, ids, count)
                product_seconds, rq, statements = product_run(app, url, ids, count, args.redis_url, args.statements)
                results.append((count, copy_seconds, product_seconds))
                report(count, copy_seconds, product_seconds, rq, statements)
        finally:
            from extensions import db
            with app.app_context():
                db.engine.dispose()
    summary(results)


def bench_app(url, redis_url):
    """The app on the benchmark's database, with REDIS_URL so jobs go onto RQ queues instead of running inline."""
    from app import create_app
    from config import TestConfig, _database_url

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)
        REDIS_URL = redis_url
        SANDBOX_ENABLED = False

    return create_app(Config)


def seed_shop(app):
    """(merchant id, owner id, template id): a merchant, its owner and the coupon every size issues."""
    from bench.verify import bench_shop
    from extensions import db
    from services.coupons import templates as coupon_templates

    with app.app_context():
        merchant, _store, owner = bench_shop(db.session)
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="压测批量券",
                                                  amount_off=500, validity_mode="relative", valid_days=30,
                                                  per_member_limit=1)
        db.session.commit()
        assert template.stock_total is None and template.per_member_limit == 1
        return merchant.id, owner.id, template.id


def reset(url, ids, count):
    """The same starting state for every size: no codes, no bulk issues, exactly `count` active members."""
    merchant_id, _owner_id, template_id = ids
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as connection:
        # Only member-owned tables cascade (fans, identities, wallets, …), never merchants, staff or templates.
        connection.execute("TRUNCATE coupon_codes, coupon_bulk_issues, members CASCADE")
        connection.execute("UPDATE coupon_templates SET stock_issued = 0 WHERE id = %s", (template_id,))
        connection.execute(
            """
            INSERT INTO members (merchant_id, mobile, gender, custom_fields, status, points_balance, total_spend,
                                 total_topup, visit_count, growth, created_at)
            SELECT %(merchant)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json, 'active', 0, 0, 0, 0, 0, now()
            FROM generate_series(1::bigint, %(count)s) AS n
            """, {"merchant": merchant_id, "count": count})
        for table in ("members", "coupon_codes", "coupon_bulk_issues", "coupon_templates"):
            connection.execute(f"VACUUM ANALYZE {table}")
        connection.execute("CHECKPOINT")  # neither run pays for the seeding's dirty pages
    print(f"\n[{count:,}] seeded {count:,} active members in {time.monotonic() - began:.1f} s")


def copy_baseline(app, url, ids, count):
    """Seconds to COPY the `count` codes the issue would make into coupon_codes and commit them; then removed."""
    from domain import coupons as rules
    from domain.clock import now_utc
    from extensions import db
    from models import CouponTemplate, Merchant
    from services.coupons import templates as coupon_templates

    merchant_id, _owner_id, template_id = ids
    now = now_utc()
    with app.app_context():
        template = db.session.get(CouponTemplate, template_id)
        timezone = db.session.get(Merchant, merchant_id).timezone
        starts_at, ends_at = rules.window(coupon_templates.validity(template), now, timezone)
        db.session.rollback()
    with psycopg.connect(url) as connection:
        member_ids = [row[0] for row in connection.execute(
            "SELECT id FROM members WHERE merchant_id = %s AND status = 'active' ORDER BY id", (merchant_id,))]
        connection.commit()
        assert len(member_ids) == count
        codes = rules.new_codes(count)
        assert len(set(codes)) == count
        starts, ends, created = starts_at.isoformat(), ends_at.isoformat(), now.isoformat()
        buffer = io.StringIO("".join(
            f"{merchant_id}\t{template_id}\t{member}\t{code}\tavailable\tbulk\tbulk:0:{member}\t{starts}\t{ends}\t"
            f"{created}\n" for member, code in zip(member_ids, codes)))
        began = time.perf_counter()
        with connection.cursor().copy("COPY coupon_codes (merchant_id, template_id, member_id, code, state, channel, "
                                      "idempotency_key, starts_at, ends_at, created_at) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        elapsed = time.perf_counter() - began
        copied = connection.execute("SELECT count(*) FROM coupon_codes").fetchone()[0]
        assert copied == count, copied
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE coupon_codes CASCADE")
        connection.execute("VACUUM ANALYZE coupon_codes")
        connection.execute("CHECKPOINT")
    return elapsed


class StatementClock:
    """Seconds and calls per kind of statement on the app's engine, timed at the cursor."""

    KINDS = (("INSERT INTO coupon_codes", "insert codes (INSERT … SELECT)"),
             ("FROM members WHERE merchant_id = %(merchant_id)s AND id = ANY", "lock the chunk's members"),
             ("FROM coupon_bulk_issues", "lock the bulk row"),
             ("FROM coupon_templates", "lock the template"),
             ("UPDATE coupon_templates", "template stock_issued"),
             ("FROM members", "next chunk's member ids"),
             ("UPDATE coupon_bulk_issues", "bulk progress"),
             ("FROM merchants", "load the merchant"),
             ("RELEASE SAVEPOINT", "release savepoint"),
             ("SAVEPOINT", "savepoint"))

    def __init__(self):
        self.seconds, self.calls, self.started = defaultdict(float), defaultdict(int), {}

    def kind(self, statement):
        for marker, name in self.KINDS:
            if marker in statement:
                return name
        return statement.split()[0].lower() if statement.strip() else "?"

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self.started[id(cursor)] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        began = self.started.pop(id(cursor), None)
        if began is not None:
            name = self.kind(statement)
            self.seconds[name] += time.perf_counter() - began
            self.calls[name] += 1

    def commit(self, conn):
        self.started["commit"] = time.perf_counter()

    def committed(self, session):
        began = self.started.pop("commit", None)
        if began is not None:
            self.seconds["commit"] += time.perf_counter() - began
            self.calls["commit"] += 1


def product_run(app, url, ids, count, redis_url, with_statements):
    """Seconds from enqueueing the bulk issue job to an RQ worker finishing it; checked with SQL afterwards."""
    from redis import Redis
    from rq import Queue, SimpleWorker
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from extensions import db
    from jobs import coupons as coupon_jobs
    from jobs.base import enqueue
    from models import Staff
    from services.coupons import bulk as coupon_bulk

    merchant_id, owner_id, template_id = ids
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    queue = Queue("bulk", connection=connection)
    clock = StatementClock() if with_statements else None
    with app.app_context():
        owner = db.session.get(Staff, owner_id)
        bulk = coupon_bulk.start(db.session, owner, template_id, {})
        bulk_id = bulk.id
        assert bulk.total == count, bulk.total
        db.session.commit()
        db.session.close()  # no transaction open: enqueue dispatches at once
        engine = db.engine
        if clock:
            event.listen(engine, "before_cursor_execute", clock.before)
            event.listen(engine, "after_cursor_execute", clock.after)
            event.listen(engine, "commit", clock.commit)  # from the engine's COMMIT …
            event.listen(Session, "after_commit", clock.committed)  # … to the session hearing it is done
        try:
            enqueued_at, began = datetime.now(timezone.utc), time.perf_counter()
            enqueue(coupon_jobs.bulk_issue, bulk_id)
            assert queue.count == 1, "the job did not go to Redis (is REDIS_URL set on the app?)"
            job = queue.jobs[0]
            worker = SimpleWorker([queue], connection=connection)
            worker.work(burst=True, logging_level="WARNING")
            returned = time.perf_counter() - began
        finally:
            if clock:
                event.remove(engine, "before_cursor_execute", clock.before)
                event.remove(engine, "after_cursor_execute", clock.after)
                event.remove(engine, "commit", clock.commit)
                event.remove(Session, "after_commit", clock.committed)
    job.refresh()
    if job.get_status() != "finished" or job.return_value() != bulk_id:
        raise SystemExit(f"the worker did not finish the job: {job.get_status()} {job.latest_result()}")
    check(url, merchant_id, bulk_id, count)
    elapsed = (job.ended_at - enqueued_at).total_seconds()
    rq = (f"[{count:,}] RQ: {(job.started_at - enqueued_at).total_seconds():.3f} s from enqueue to the job starting, "
          f"{(job.ended_at - job.started_at).total_seconds():.2f} s in the job; the burst worker returned "
          f"{returned - elapsed:.2f} s after the job ended (its shutdown, not counted)")
    return elapsed, rq, clock


def check(url, merchant_id, bulk_id, count):
    with psycopg.connect(url) as connection:
        codes, members, distinct_codes = connection.execute(
            "SELECT count(*), count(DISTINCT member_id), count(DISTINCT code) FROM coupon_codes "
            "WHERE merchant_id = %s AND idempotency_key LIKE %s", (merchant_id, f"bulk:{bulk_id}:%")).fetchone()
        status, issued, skipped, error = connection.execute(
            "SELECT status, issued, skipped, error FROM coupon_bulk_issues WHERE id = %s", (bulk_id,)).fetchone()
        everything = connection.execute("SELECT count(*) FROM coupon_codes").fetchone()[0]
    found = dict(codes=codes, members=members, distinct_codes=distinct_codes, all_codes=everything, status=status,
                 issued=issued, skipped=skipped, error=error)
    wanted = dict(codes=count, members=count, distinct_codes=count, all_codes=count, status="done", issued=count,
                  skipped=0, error=None)
    if found != wanted:
        raise SystemExit(f"bulk issue {bulk_id} is not what it should be: {found} (wanted {wanted})")


def report(count, copy_seconds, product_seconds, rq, clock):
    ratio = product_seconds / copy_seconds
    print(f"[{count:,}] raw COPY     {copy_seconds:8.2f} s  {copy_seconds / count * 1e6:7.2f} µs/coupon  "
          f"{count / copy_seconds:10,.0f} coupons/s")
    print(f"[{count:,}] product job  {product_seconds:8.2f} s  {product_seconds / count * 1e6:7.2f} µs/coupon  "
          f"{count / product_seconds:10,.0f} coupons/s   ratio product/COPY {ratio:.2f}x "
          f"(target ≤ {TARGET_RATIO:.2f}x)   checked: {count:,} codes, members and distinct codes, bulk done")
    print(rq)
    if clock:
        total = sum(clock.seconds.values())
        print(f"[{count:,}] where the time went: {total:.2f} s in statements and commits (at the driver), "
              f"{product_seconds - total:.2f} s elsewhere (the job's Python: codes, parameters, ORM; RQ):")
        for name, seconds in sorted(clock.seconds.items(), key=lambda item: -item[1]):
            print(f"    {name:34s} {seconds:8.2f} s  {clock.calls[name]:6d} calls  "
                  f"{seconds / clock.calls[name] * 1000:8.2f} ms each")


def summary(results):
    if not results:
        return
    print("\nsummary (product = enqueue → the RQ worker has finished the job; COPY = raw COPY of the same rows, "
          "same run)")
    print(f"{'members':>10}  {'COPY s':>8}  {'product s':>9}  {'ratio':>6}  {'COPY µs/coupon':>14}  "
          f"{'product µs/coupon':>17}")
    for count, copy_seconds, product_seconds in results:
        print(f"{count:>10,}  {copy_seconds:8.2f}  {product_seconds:9.2f}  {product_seconds / copy_seconds:5.2f}x  "
              f"{copy_seconds / count * 1e6:14.2f}  {product_seconds / count * 1e6:17.2f}")
    verdicts = []
    worst = max(p / c for _, c, p in results)
    verdicts.append(f"ratio ≤ {TARGET_RATIO}x: {'met' if worst <= TARGET_RATIO else 'NOT met'} (worst {worst:.2f}x)")
    million = [p for n, _, p in results if n >= 1_000_000]
    if million:
        verdicts.append(f"1,000,000 under {TARGET_MILLION_SECONDS:.0f} s: "
                        f"{'met' if max(million) <= TARGET_MILLION_SECONDS else 'NOT met'} ({max(million):.1f} s)")
    if len(results) > 1:
        per = [p / n * 1e6 for n, _, p in sorted(results)]
        rising = per[-1] > per[0] * 1.10
        verdicts.append(f"µs/coupon not rising with size: {'NOT met' if rising else 'met'} "
                        f"({per[0]:.2f} → {per[-1]:.2f})")
    print("targets: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
