"""Verification through the JSON API on gunicorn + PostgreSQL: many codes, many concurrent tills.

Run: .venv/bin/python bench/verify.py [--clients 50] [--seconds 20] [--codes 30000] [--workers 3] [--threads 4]
     [--worker-class gthread|sync] [--redis-url redis://127.0.0.1:6379/13 (default when it answers; '' for none)]

Creates a throwaway database on BENCH_DATABASE_URL's server (default: local PostgreSQL), migrates it with
`flask db upgrade`, seeds one merchant, store, API key and --codes available coupon codes (one bulk COPY),
serves wsgi:app with gunicorn, and has --clients threads (one keep-alive connection each) POST verifications of
distinct codes for --seconds. Prints throughput, latency percentiles and errors, then drops the database.
A request that loses its connection is retried with the same Idempotency-Key, as a till would.
"""
import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.keepalive import KeepAlive  # noqa: E402

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
VENV_BIN = ROOT / ".venv" / "bin"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--codes", type=int, default=30_000)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", default_redis_url()),
                        help="count failed look-ups in this Redis, as in production (default: the local Redis, "
                             "db 13, when it answers); '' counts them in the database")
    args = parser.parse_args()
    with migrated_database(args.redis_url) as (url, name, env):
        key, store_id, codes = seed(url, args.codes)
        with gunicorn(env, args) as (port, pid):
            run(port, key, store_id, codes, args, pid, name)


@contextmanager
def migrated_database(redis_url):
    """A throwaway database on SERVER_URL's server, migrated; dropped afterwards. Yields (url, name, env)."""
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    url = SERVER_URL.rsplit("/", 1)[0] + "/" + name
    admin = psycopg.connect(SERVER_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "REDIS_URL": redis_url,
               "SANDBOX_ENABLED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield url, name, env
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def gunicorn(env, args):
    """wsgi:app served on a free port (or --port) with args.workers x args.threads; yields (port, master pid)."""
    port = getattr(args, "port", 0) or free_port()
    # gthread workers race to accept the tills' keep-alive connections, and one may take nearly all of them (seen:
    # 46 of 50) while another takes none; capping each at about its share spreads them (a proxy would, in
    # production). It changes the spread of latencies, not the throughput: the two cores are busy either way.
    spread = -(-args.clients // args.workers) + args.threads
    server = start_gunicorn(env, port, args.workers, args.threads, args.worker_class, spread)
    try:
        wait_until_up(port)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def default_redis_url(url="redis://127.0.0.1:6379/13"):
    """The local Redis when one answers, as production runs with one; otherwise none."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisError:
        return ""
    return url


def seeding_app(url):
    """The app on the benchmark's database, to seed it through the real services."""
    from app import create_app
    from config import TestConfig, _database_url

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)

    return create_app(Config)


def bench_shop(session):
    """(merchant, store, owner): what every benchmark seeds first."""
    from services.merchant import merchants, staff, stores

    merchant = merchants.create_merchant(session, "bench", "压测商户")
    store = stores.create_store(session, merchant.id, "压测门店")
    owner = staff.create_staff(session, merchant.id, username="bench", name="压测", role="owner",
                               password="bench-password", store_ids=[])
    return merchant, store, owner


def seed(url, count):
    """One merchant with a store, an all-stores API key and `count` available codes of one template."""
    from domain import coupons as rules
    from domain.clock import now_utc
    from extensions import db
    from services.merchant import api_keys
    from services.coupons import templates as coupon_templates
    from services.members import members

    with seeding_app(url).app_context():
        merchant, store, owner = bench_shop(db.session)
        member = members.create_member(db.session, merchant.id, mobile="13900000000")
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="压测券", amount_off=1000,
                                                  validity_mode="relative", valid_days=30)
        key = api_keys.create(db.session, owner, name="压测收银").plaintext
        db.session.commit()
        ids = (merchant.id, template.id, member.id, store.id)
        db.engine.dispose()
    merchant_id, template_id, member_id, store_id = ids
    now = now_utc()
    codes = list({rules.new_code() for _ in range(count)})
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY coupon_codes (merchant_id, template_id, member_id, code, state, channel, "
                         "idempotency_key, starts_at, ends_at, created_at) FROM STDIN") as copy:
            for n, code in enumerate(codes):
                copy.write_row((merchant_id, template_id, member_id, code, "available", "bulk", f"bench:{n}", now,
                                now + timedelta(days=30), now))
        cursor.execute("UPDATE coupon_templates SET stock_issued = %s WHERE id = %s", (len(codes), template_id))
        cursor.execute("ANALYZE")
    return key, store_id, codes


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env, port, workers, threads, worker_class, worker_connections=1000):
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads), "--keep-alive", "30",
               "--worker-connections", str(worker_connections), "--backlog", "512", "--log-level", "warning",
               "wsgi:app"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


class Till(threading.Thread):
    """One client with one keep-alive connection, verifying the next free code until time is up."""

    def __init__(self, port, key, store_id, next_code, stop_at, start):
        super().__init__(daemon=True)
        self.port, self.key, self.store_id = port, key, store_id
        self.next_code, self.stop_at, self.start_event = next_code, stop_at, start
        self.latencies, self.errors, self.retries = [], {}, 0
        self.connection, self.measuring = KeepAlive(port), False  # drive() measures after the warm-up

    def run(self):
        self.start_event.wait()
        while time.monotonic() < self.stop_at:
            code = self.next_code()
            if code is None:
                return
            body = json.dumps({"code": code, "store_id": self.store_id, "amount_received": 1000})
            headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
                       "Idempotency-Key": f"bench-{code}"}
            began = time.perf_counter()
            status = self.post(body, headers)
            if not self.measuring:
                continue
            self.latencies.append(time.perf_counter() - began)
            if status != 201:
                self.errors[status] = self.errors.get(status, 0) + 1

    def post(self, body, headers, attempts=3):
        for _ in range(attempts):
            try:
                return self.connection.post("/api/v1/verifications", body.encode(), headers)[0]
            except OSError:
                self.retries += 1
        return "connection failed"


def cpu_seconds(pids):
    """User + system CPU time of these processes so far (Linux /proc), to report the cost per verification."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(master_pid, database):
    """The gunicorn master and workers, and the PostgreSQL backends serving the benchmark database."""
    workers = [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    with psycopg.connect(SERVER_URL, autocommit=True) as connection:
        backends = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    return [master_pid, *workers], backends


def run(port, key, store_id, codes, args, master_pid=None, database=None):
    pending = iter(codes)
    lock = threading.Lock()

    def next_code():
        with lock:
            return next(pending, None)

    start = threading.Event()
    stop_at = time.monotonic() + args.seconds + 0.5  # drive()'s warm-up, then --seconds measured
    tills = [Till(port, key, store_id, next_code, stop_at, start) for _ in range(args.clients)]
    elapsed, app_cpu, db_cpu, client_cpu = drive(tills, start, master_pid, database)
    latencies = sorted(itertools.chain.from_iterable(t.latencies for t in tills))
    errors = merged_errors(tills)
    done = len(latencies) - sum(errors.values())
    print(f"JSON API verification benchmark: gunicorn {args.workers} workers x {args.threads} threads "
          f"({args.worker_class}), failed look-ups counted in {'Redis' if args.redis_url else 'PostgreSQL'}, "
          f"{args.clients} concurrent clients, {elapsed:.1f} s, {len(codes)} codes seeded")
    print(f"  verified      {done:8d}   ({done / elapsed:.0f} verifications/s)")
    print(f"  latency       p50 {pct(latencies, 50):6.1f} ms   p95 {pct(latencies, 95):6.1f} ms   "
          f"p99 {pct(latencies, 99):6.1f} ms   max {latencies[-1] * 1000 if latencies else 0:6.1f} ms")
    print(f"  errors        {sum(errors.values())} {errors or ''}   reconnects {sum(t.retries for t in tills)}")
    if latencies:
        print(f"  mean latency  {statistics.mean(latencies) * 1000:.1f} ms")
    if done:
        per = 1000 / done
        print(f"  CPU per verification: app {app_cpu * per:.2f} ms, PostgreSQL {db_cpu * per:.2f} ms, "
              f"clients {client_cpu * per:.2f} ms (from 0.5 s in; on {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.1f} at the end)")


def drive(tills, start, master_pid, database, warmup=0.5):
    """Start the tills together and wait for them: (seconds measured, app CPU s, PostgreSQL CPU s, client CPU s),
    all counted from `warmup` s in, when every till has connected and PostgreSQL has its backends. The client (this
    process) shares the machine's cores with the server, so its CPU is part of the budget too."""
    for till in tills:
        till.start()
    start.set()
    time.sleep(warmup)
    for till in tills:
        till.measuring = True
    began = time.monotonic()
    app_pids, db_pids = server_pids(master_pid, database)
    app_cpu, db_cpu, client_cpu = cpu_seconds(app_pids), cpu_seconds(db_pids), time.process_time()
    for till in tills:
        till.join()
    return (time.monotonic() - began, cpu_seconds(app_pids) - app_cpu, cpu_seconds(db_pids) - db_cpu,
            time.process_time() - client_cpu)


def merged_errors(tills):
    errors = {}
    for till in tills:
        for status, n in till.errors.items():
            errors[status] = errors.get(status, 0) + n
    return errors


def pct(values, p):
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


if __name__ == "__main__":
    main()
