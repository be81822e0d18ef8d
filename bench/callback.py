"""Official-account callback under load: subscribe events against gunicorn + PostgreSQL.

Run: .venv/bin/python bench/callback.py [--senders 200] [--requests 4000] [--workers 4] [--rate 100]

Creates a throwaway database on BENCH_DATABASE_URL's server (default: local PostgreSQL), migrates it
with `flask db upgrade`, creates a merchant with a callback token, serves the app with gunicorn on a
free port, then fires correctly signed subscribe events (each a new follower, plus some WeChat-style
retries) from N concurrent senders: threads spread over a few processes, each on its own http.client
connection, so the client takes as little of the machine as it can. After a warm-up with one sender
(the service time without contention), two phases:
  1. closed loop: every sender sends its next event as soon as the last one is answered (saturation);
  2. paced: the same senders, together at --rate events per second (a busy account's real traffic).
Prints p50/p99 latency and throughput per phase, checks one fan per follower, then stops gunicorn and
drops the database. With Redis reachable (BENCH_REDIS_URL, default db 13), follow jobs go to RQ as in
production; its queue is emptied afterwards. Target: p99 under 50 ms.
"""
import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from sandbox import wechat_events as events  # noqa: E402

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SLUG, APP_ID, TOKEN, SECRET = "bench", "wxbenchcallback01", "benchtoken", "bench-secret-0123456789abcdef"
RETRY_EVERY = 20  # every 20th event is delivered twice, as WeChat does when it retries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--requests", type=int, default=4000, help="events per phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--rate", type=float, default=100, help="events per second in the paced phase")
    parser.add_argument("--processes", type=int, default=4, help="client processes holding the senders")
    parser.add_argument("--no-redis", action="store_true", help="no follow jobs (merchant without API secret)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class: sync or gthread")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    args = parser.parse_args()
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(SERVER_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    redis_url = None if args.no_redis else _redis_or_none()
    try:
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=SERVER_URL.rsplit("/", 1)[0] + "/" + name, APP_ENV="development",
                   SANDBOX_ENABLED="1", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", REDIS_URL=redis_url or "")
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        _create_merchant(env, with_secret=bool(redis_url))
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", args.worker_class,
                                   "--threads", str(args.threads), "--keep-alive", "5", "-b", f"127.0.0.1:{port}",
                                   "--backlog", "2048", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        base = env["PUBLIC_BASE_URL"]
        _wait_until_up(base)
        print(f"callback benchmark: gunicorn {args.workers} {args.worker_class} workers x {args.threads} threads, "
              f"PostgreSQL, {args.senders} senders, {os.cpu_count()} CPUs shared by all, "
              f"jobs {'to RQ (' + redis_url + ')' if redis_url else 'none (merchant without API secret)'}")
        one = argparse.Namespace(**{**vars(args), "senders": 1, "processes": 1, "requests": 300})
        _run_phase("one sender", base, one, 0, rate=None)
        _run_phase("closed loop", base, args, 1, rate=None)
        _run_phase(f"paced {args.rate:.0f}/s", base, args, 2, rate=args.rate)
        _check(env, expected=one.requests + 2 * args.requests)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if redis_url:
            _empty_queue(redis_url)
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _redis_or_none():
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return REDIS_URL
    except Exception:  # noqa: BLE001 - no Redis: run without follow jobs
        return None


def _empty_queue(redis_url):
    from redis import Redis
    from rq import Queue

    Queue("default", connection=Redis.from_url(redis_url)).empty()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_app(env, fn):
    code = ("import sys; sys.path.insert(0, '.');\nfrom app import create_app\nfrom extensions import db\n"
            f"app = create_app()\nwith app.app_context():\n{fn}\n    db.session.commit()\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True).stdout


def _create_merchant(env, with_secret):
    secret = f"'{SECRET}'" if with_secret else "None"
    _in_app(env, "    from services.merchant import merchants\n"
                 f"    m = merchants.create_merchant(db.session, '{SLUG}', '压测商户')\n"
                 f"    m.wechat_app_id, m.wechat_token, m.wechat_app_secret = '{APP_ID}', '{TOKEN}', {secret}")


def _wait_until_up(base):
    for _ in range(100):
        try:
            query = events.signed_query(TOKEN, echostr="up")
            if requests.get(events.callback_url(base, SLUG, query), timeout=2).text == "up":
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not come up")


def _run_phase(label, base, args, phase, rate):
    per_process = [args.senders // args.processes + (i < args.senders % args.processes)
                   for i in range(args.processes)]
    events_each = [args.requests // args.senders + (i < args.requests % args.senders) for i in range(args.senders)]
    jobs, first = [], 0
    for p, senders in enumerate(per_process):
        jobs.append((base, phase, first, events_each[first:first + senders], rate / args.senders if rate else None))
        first += senders
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        results = pool.starmap(_senders, jobs)
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for lat, _bad in results for ms in lat)
    failures = sum(bad for _lat, bad in results)
    print(f"  {label:14s} {len(latencies):5d} callbacks in {elapsed:5.1f} s = {len(latencies) / elapsed:6.0f}/s"
          f"   p50 {statistics.median(latencies):6.1f} ms   p99 {_pct(latencies, 99):6.1f} ms"
          f"   max {latencies[-1]:6.1f} ms   failures {failures}")


def _senders(base, phase, first, counts, per_sender_rate):
    """One client process: a thread per sender, each with its own HTTP connection (http.client, light)."""
    account = events.Account(APP_ID, TOKEN)
    latencies, failures, lock = [], [0], threading.Lock()

    def sender(index, count):
        client = _Client(base)
        interval = 1 / per_sender_rate if per_sender_rate else 0
        next_at = time.perf_counter() + (interval * (index % 97) / 97)  # spread the first sends
        for n in range(count):
            if interval:
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            openid = f"o{phase}{index:05d}{n:06d}".ljust(28, "x")
            xml = events.event_xml(account, openid, "subscribe")
            for _attempt in range(2 if n % RETRY_EVERY == RETRY_EVERY - 1 else 1):
                status, elapsed_ms, text = client.post(*events.envelope(account, xml))
                with lock:
                    latencies.append(elapsed_ms)
                    failures[0] += status != 200 or "<Content>" not in text

    threads = [threading.Thread(target=sender, args=(first + i, count)) for i, count in enumerate(counts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0]


class _Client:
    """A signed callback POST over one connection, reconnecting when the server closes it."""

    def __init__(self, base):
        self.host, self.port = base.split("//")[1].split(":")
        self.connection = None

    def post(self, query, body):
        path = events.callback_url("", SLUG, query)
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
                self.connection.request("POST", path, body.encode(), {"Content-Type": "text/xml"})
                response = self.connection.getresponse()
                text = response.read().decode()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, (time.perf_counter() - started) * 1000, text
            except (http.client.HTTPException, OSError):
                self.connection = None
                if attempt == 2:
                    return 0, (time.perf_counter() - started) * 1000, ""


def _check(env, expected):
    out = _in_app(env, "    from sqlalchemy import func, select\n    from models import Fan, WechatInbound\n"
                       "    print(db.session.scalar(select(func.count()).select_from(Fan)),"
                       " db.session.scalar(select(func.count()).select_from(WechatInbound)))")
    fans, inbound = (int(v) for v in out.split())
    verdict = "ok" if fans == inbound == expected else "MISMATCH"
    print(f"  check: {fans} fans, {inbound} inbound rows for {expected} followers "
          f"(retries answered from the stored reply) - {verdict}")


def _pct(values, pct):
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


if __name__ == "__main__":
    main()
