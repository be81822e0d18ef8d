"""Ledger throughput on PostgreSQL: spends per second on one hot wallet and on many wallets.

Run: .venv/bin/python bench/ledger_throughput.py [--threads 8] [--ops 400]
Creates a throwaway database on BENCH_DATABASE_URL's server (default: local PostgreSQL) and drops it.
"""
import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--ops", type=int, default=400, help="operations per scenario")
    args = parser.parse_args()
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(SERVER_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        run(SERVER_URL.rsplit("/", 1)[0] + "/" + name, args.threads, args.ops)
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(url, threads, ops):
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig, _database_url
    from extensions import db
    from services.members import members
    from services.merchant import merchants
    from services.points import ledger as points
    from services.wallet import journal as wallet

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": threads + 2}

    app = create_app(Config)
    with app.app_context():
        upgrade()
        merchant = merchants.create_merchant(db.session, "bench", "压测商户")
        people = [members.create_member(db.session, merchant.id, mobile=f"139{i:08d}") for i in range(threads)]
        purses = [wallet.member_wallet(db.session, merchant.id, m.id) for m in people]
        for purse in purses:
            wallet.credit(db.session, merchant.id, purse.id, 10**9, 10**8, key=f"seed:{purse.id}")
        for person in people:
            points.earn(db.session, merchant, person.id, 10**8, key=f"seed-points:{person.id}")
        db.session.commit()
        merchant_id, purse_ids, member_ids = merchant.id, [p.id for p in purses], [m.id for m in people]

    def hot_wallet(session, n, i):
        wallet.debit(session, merchant_id, purse_ids[0], 1, key=f"hot:{n}:{i}")

    def own_wallet(session, n, i):
        wallet.debit(session, merchant_id, purse_ids[n], 1, key=f"own:{n}:{i}")

    def own_points(session, n, i):
        from models import Merchant

        points.spend(session, session.get(Merchant, merchant_id), member_ids[n], 1, key=f"pts:{n}:{i}")

    print(f"PostgreSQL ledger benchmark: {threads} threads, {ops} operations per scenario")
    for label, operation in (("debit, one hot wallet", hot_wallet), ("debit, one wallet per thread", own_wallet),
                             ("points spend, one member per thread", own_points)):
        elapsed, latencies = measure(app, db, threads, ops, operation)
        print(f"  {label:38s} {ops / elapsed:8.0f} ops/s   p50 {statistics.median(latencies) * 1000:6.1f} ms"
              f"   p95 {percentile(latencies, 95) * 1000:6.1f} ms")
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def measure(app, db, threads, ops, operation):
    latencies, lock = [], threading.Lock()
    per_thread = ops // threads

    def worker(n):
        with app.app_context():
            for i in range(per_thread):
                started = time.perf_counter()
                operation(db.session, n, i)
                db.session.commit()
                with lock:
                    latencies.append(time.perf_counter() - started)
            db.session.remove()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, latencies


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


if __name__ == "__main__":
    main()
