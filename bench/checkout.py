"""Checkout through the JSON API on gunicorn + PostgreSQL: quote, then pay with an idempotency key, for members
who hold coupons and a balance, from many concurrent tills.

Run: .venv/bin/python bench/checkout.py [--clients 50] [--seconds 20] [--members 3000] [--coupons 3]
     [--workers 3] [--threads 4] [--tender balance|cash] [--rate N] [--warmup 3]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL), migrates it, seeds one
merchant with 储值折上折 off and points deduction on, --members members each with ¥1000 of balance and --coupons
coupons (满50减10), serves wsgi:app with gunicorn, and has --clients threads (one keep-alive connection each) quote
and pay ¥88 orders for distinct members (a member is only ever at one till at a time) for --seconds: back to back
(closed loop, the most the server takes), or with --rate, started on a fixed schedule (open loop, the latency at
that load). Measuring starts after --warmup seconds of the same load. Prints checkouts per second, latency
percentiles of each request and of a whole checkout (quote + pay), errors, and the CPU each checkout cost the app,
PostgreSQL and the clients (all on the same cores).
"""
import argparse
import itertools
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.keepalive import KeepAlive  # noqa: E402
from bench.verify import (bench_shop, default_redis_url, drive, gunicorn, merged_errors,  # noqa: E402
                          migrated_database, pct, seeding_app)

AMOUNT = 8800


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--coupons", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--tender", default="balance", choices=("balance", "cash"))
    parser.add_argument("--warmup", type=float, default=3,
                        help="seconds the tills run before measuring starts (connections, process memory)")
    parser.add_argument("--rate", type=float, default=0,
                        help="checkouts per second across all tills (open loop); 0: every till back to back")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", default_redis_url()))
    args = parser.parse_args()
    with migrated_database(args.redis_url) as (url, name, env):
        began = time.monotonic()
        key, store_id, member_ids = seed(url, args.members, args.coupons)
        print(f"seeded {len(member_ids)} members with balance and {args.coupons} coupons each "
              f"in {time.monotonic() - began:.0f} s")
        with gunicorn(env, args) as (port, pid):
            run(port, key, store_id, member_ids, args, pid, name)


def seed(url, member_count, coupon_count):
    """Through the real services, so every balance and code is as production would have it."""
    from extensions import db
    from services.merchant import api_keys
    from services.till import settings as checkout_settings
    from services.coupons import issue as coupon_issue, templates as coupon_templates
    from services.members import members
    from services.wallet import stored_value, journal as wallet

    with seeding_app(url).app_context():
        merchant, store, owner = bench_shop(db.session)
        stored_value.enable(db.session, owner)
        checkout_settings.settings_of(db.session, merchant.id).points_per_yuan = 100
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                                  min_spend=5000, validity_mode="relative", valid_days=30)
        key = api_keys.create(db.session, owner, name="压测收银").plaintext
        ids = []
        for n in range(member_count):
            member = members.create_member(db.session, merchant.id, mobile=f"139{n:08d}")
            purse = wallet.member_wallet(db.session, merchant.id, member.id)
            wallet.credit(db.session, merchant.id, purse.id, 100_000, key=f"bench:topup:{n}")
            for c in range(coupon_count):
                coupon_issue.claim(db.session, merchant, template.id, member.id, channel="bulk", key=f"bench:{n}:{c}")
            ids.append(member.id)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        store_id = store.id
        db.engine.dispose()
    with psycopg.connect(url) as connection:
        connection.execute("ANALYZE")
    return key, store_id, ids


class Till(threading.Thread):
    """One keep-alive connection; quotes then pays for its own members in turn until time is up."""

    def __init__(self, port, key, store_id, member_ids, tender, stop_at, start, period=None, offset=0.0):
        super().__init__(daemon=True)
        self.port, self.key, self.store_id, self.tender = port, key, store_id, tender
        self.members, self.stop_at, self.start_event = list(member_ids), stop_at, start
        self.period, self.offset = period, offset  # paced: one checkout every `period` s (open loop)
        self.requests, self.checkouts, self.errors, self.connection = [], [], {}, KeepAlive(port)
        self.spent = 0  # members whose balance no longer covers an order
        self.measuring = False  # drive() starts measuring after the warm-up

    def run(self):
        self.start_event.wait()
        due = time.perf_counter() + self.offset
        turn = 0
        while time.monotonic() < self.stop_at and self.members:
            member_id = self.members[turn % len(self.members)]
            turn += 1
            began = time.perf_counter()
            if self.period is not None:
                # Paced: wait for this checkout's turn, and time it from then, so a server that falls behind
                # shows in the latency instead of slowing the client down (no coordinated omission).
                time.sleep(max(due - began, 0))
                began, due = due, due + self.period
            body = {"store_id": self.store_id, "member_id": member_id, "amount": AMOUNT, "tender": self.tender}
            status, quote = self.post("/api/v1/checkout/quote", body)
            if status == 200 and quote.get("balance_short"):
                self.members.remove(member_id)  # spent their ¥1000: the till moves on to its other members
                self.spent += self.measuring
                continue
            if status != 200 or quote.get("refusal"):
                self.count_error(status if status != 200 else f"refused: {quote['refusal']}")
                continue
            status, _ = self.post("/api/v1/checkout/pay", {**body, "choice": quote["choice"]},
                                  {"Idempotency-Key": uuid.uuid4().hex})
            if status != 201:
                self.count_error(status)
                continue
            if self.measuring:
                self.checkouts.append(time.perf_counter() - began)

    def count_error(self, status):
        if self.measuring:
            self.errors[status] = self.errors.get(status, 0) + 1

    def post(self, path, body, extra=None):
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json", **(extra or {})}
        began = time.perf_counter()
        try:
            status, data = self.connection.post(path, json.dumps(body).encode(), headers)
        except OSError:
            return "connection failed", {}
        if self.measuring:
            self.requests.append(time.perf_counter() - began)
        return status, (json.loads(data) if status in (200, 201) else {})


def run(port, key, store_id, member_ids, args, master_pid, database):
    start = threading.Event()
    stop_at = time.monotonic() + args.warmup + args.seconds
    period = args.clients / args.rate if args.rate else None
    tills = [Till(port, key, store_id, member_ids[i::args.clients], args.tender, stop_at, start, period,
                  period * i / args.clients if period else 0.0) for i in range(args.clients)]
    elapsed, app_cpu, db_cpu, client_cpu = drive(tills, start, master_pid, database, args.warmup)
    requests = sorted(itertools.chain.from_iterable(t.requests for t in tills))
    checkouts = sorted(itertools.chain.from_iterable(t.checkouts for t in tills))
    errors = merged_errors(tills)
    done = len(checkouts)
    pace = f"paced at {args.rate:g} checkouts/s" if args.rate else "each as fast as it can"
    print(f"JSON API checkout benchmark (quote + pay, tender {args.tender}): gunicorn {args.workers} workers x "
          f"{args.threads} threads, {args.clients} concurrent tills ({pace}), {elapsed:.1f} s, "
          f"{len(member_ids)} members")
    print(f"  checkouts     {done:8d}   ({done / elapsed:.0f} checkouts/s, {len(requests) / elapsed:.0f} requests/s)")
    print(f"  per request   p50 {pct(requests, 50):6.1f} ms   p95 {pct(requests, 95):6.1f} ms   "
          f"p99 {pct(requests, 99):6.1f} ms")
    print(f"  per checkout  p50 {pct(checkouts, 50):6.1f} ms   p95 {pct(checkouts, 95):6.1f} ms   "
          f"p99 {pct(checkouts, 99):6.1f} ms")
    print(f"  errors        {sum(errors.values())} {errors or ''}")
    spent = sum(t.spent for t in tills)
    if spent:
        print(f"  members out of balance: {spent} of {len(member_ids)} (use more --members for longer runs)")
    if done:
        per = 1000 / done
        print(f"  CPU per checkout: app {app_cpu * per:.2f} ms, PostgreSQL {db_cpu * per:.2f} ms, "
              f"clients {client_cpu * per:.2f} ms (on {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
