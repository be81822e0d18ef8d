"""Planning and sending one WeChat mass message to a million followers, against the sandbox's mass API over HTTP.

Run: .venv/bin/python bench/mass_send.py [--members 1000000]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL), migrates it, makes one
merchant with a sandbox official account and --members members who all follow it (members, identities and fans
made with SQL generate_series), serves the app (and so the sandbox) on a free port, and runs one send through the
real services and the real job step by step, with the per-minute pace switched off for the bench:

- plan: freeze the audience (one INSERT … SELECT: channel per member, the month's allowance, skip reasons);
- send: 100 calls of 10,000 openids; each step takes the month's slots (one upsert), calls WeChat (the sandbox,
  over HTTP) and marks the batch (one UPDATE). The application's own work is the step's time minus the time
  spent waiting for the sandbox to answer.

Baseline in the same run: a raw COPY of the same number of recipient rows into a table shaped like
send_recipients (with its indexes); the plan's time is printed as a ratio to it.

Last, one member's timeline (会员360, the back office's member page: every kind, messages included) read after the
send, best of 5, against a plain count(*) of the send's recipients: a member page must not read the merchant's
million recipients.
"""
import argparse
import io
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.verify import migrated_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    with migrated_database("") as (url, _name, _env):
        app, server = serving_app(url)
        try:
            merchant_id, owner_id = seed(app, url, args.members)
            baseline = copy_baseline(url, args.members)
            run(app, merchant_id, owner_id, args.members, baseline)
        finally:
            server.shutdown()
            from extensions import db
            with app.app_context():
                db.engine.dispose()


def serving_app(url):
    from app import create_app
    from config import TestConfig, _database_url, resolve_channel_endpoints, REAL_ENDPOINTS

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(url)
        SANDBOX_WECHAT_MASS_PER_MINUTE = 0  # the bench measures the work, not WeChat's pace
        WECHAT_MASS_CALLS_PER_MINUTE = 0

    app = create_app(Config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config.update({key: "" for key in REAL_ENDPOINTS})
    resolve_channel_endpoints(app.config)
    return app, server


def seed(app, url, count):
    began = time.monotonic()
    from extensions import db
    from sandbox import wechat_state
    from services.merchant import merchants, staff

    with app.app_context():
        merchant = merchants.create_merchant(db.session, "bench", "压测商户")
        wechat_state.provision_account(db.session, merchant)
        owner = staff.create_staff(db.session, merchant.id, username="bench", name="压测", role="owner",
                                   password="bench-password", store_ids=[])
        db.session.commit()
        merchant_id, owner_id, app_id = merchant.id, owner.id, merchant.wechat_app_id
    with psycopg.connect(url, autocommit=True) as connection:
        params = {"merchant": merchant_id, "count": count, "app": app_id}
        connection.execute(
            """
            INSERT INTO members (merchant_id, mobile, gender, custom_fields, status, points_balance, total_spend,
                                 total_topup, visit_count, growth, created_at)
            SELECT %(merchant)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json, 'active', 0, 0, 0, 0, 0, now()
            FROM generate_series(1::bigint, %(count)s) AS n
            """, params)
        connection.execute(
            """
            INSERT INTO fans (merchant_id, app_id, openid, subscribed, subscribed_at, member_id, created_at)
            SELECT %(merchant)s, %(app)s, 'o' || lpad(id::text, 27, '0'), true, now(), id, now()
            FROM members WHERE merchant_id = %(merchant)s
            """, params)
        connection.execute(
            """
            INSERT INTO member_identities (merchant_id, member_id, kind, app_id, value, active, created_at)
            SELECT %(merchant)s, id, 'wechat_openid', %(app)s, 'o' || lpad(id::text, 27, '0'), true, now()
            FROM members WHERE merchant_id = %(merchant)s
            """, params)
        connection.execute("ANALYZE")
    print(f"seeded {count} members who follow the account in {time.monotonic() - began:.1f} s")
    return merchant_id, owner_id


def copy_baseline(url, count):
    """Seconds to COPY `count` rows shaped like send_recipients into a table with the same indexes."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_copy (LIKE send_recipients INCLUDING DEFAULTS INCLUDING INDEXES)")
        buffer = io.StringIO("".join(f"{n}\t1\t1\t{n}\twechat\to{n:027d}\tqueued\n" for n in range(1, count + 1)))
        began = time.perf_counter()
        with connection.cursor().copy("COPY bench_copy (id, merchant_id, send_id, member_id, channel, address, "
                                      "status) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - began
        connection.execute("DROP TABLE bench_copy")
    return elapsed


def run(app, merchant_id, owner_id, count, baseline):
    from extensions import db
    from models import Staff
    from services.outreach import compose, run as send_run, wechat_batch

    waiting = []
    real_call = wechat_batch._call

    def timed_call(*args, **kwargs):
        began = time.perf_counter()
        try:
            return real_call(*args, **kwargs)
        finally:
            waiting.append(time.perf_counter() - began)

    wechat_batch._call = timed_call
    with app.app_context():
        owner = db.session.get(Staff, owner_id)
        send = compose.save_draft(db.session, owner, None, {"title": "压测群发", "content_kind": "text",
                                                            "channel": "wechat", "text": "新品上市，欢迎到店"})
        db.session.commit()
        send.status, send.scheduled_at = "scheduled", None
        db.session.commit()
        began = time.perf_counter()
        send_run.run_chunk(db.session, send.id)  # the first step freezes the audience
        db.session.commit()
        plan_seconds = time.perf_counter() - began
        began, steps = time.perf_counter(), 0
        while send_run.run_chunk(db.session, send.id):
            db.session.commit()
            steps += 1
        db.session.commit()
        send_seconds = time.perf_counter() - began
        db.session.expire_all()
        sent = db.session.execute(db.text("SELECT count(*) FROM send_recipients WHERE status = 'sent'")).scalar()
        db.session.rollback()
        page_seconds, count_seconds = member_page_against_count(db.session, merchant_id)
    sandbox = sum(waiting)
    own = send_seconds - sandbox
    print(f"one WeChat mass message to {count} followers: {sent} sent in {len(waiting)} calls")
    print(f"  plan (freeze, quotas, channels) {plan_seconds:8.2f} s  {count / plan_seconds:12,.0f} rows/s"
          "   (target: under 15 s)")
    print(f"  raw COPY of the same rows       {baseline:8.2f} s  {count / baseline:12,.0f} rows/s"
          f"   ratio plan/COPY {plan_seconds / baseline:.2f}x")
    print(f"  send, whole                     {send_seconds:8.2f} s  {count / send_seconds:12,.0f} rows/s")
    print(f"    waiting for the sandbox       {sandbox:8.2f} s")
    print(f"    the application's own work    {own:8.2f} s  {count / max(own, 1e-9):12,.0f} rows/s"
          "   (target: under 60 s)")
    print(f"  application total (plan + own)  {plan_seconds + own:8.2f} s")
    print(f"one member's timeline afterwards  {page_seconds * 1000:8.1f} ms (best of 5); count(*) of the recipients "
          f"{count_seconds * 1000:.1f} ms; ratio {page_seconds / count_seconds:.3f}")


def member_page_against_count(session, merchant_id):
    """Best of 5 of one member's first timeline page, and of a plain count(*) of the merchant's recipients."""
    from services.members import timeline

    member_id = session.execute(text("SELECT max(member_id) FROM send_recipients WHERE merchant_id = :m"),
                                {"m": merchant_id}).scalar()
    page = best_of(5, lambda: timeline.page_of(session, merchant_id, member_id))
    count = best_of(5, lambda: session.execute(text("SELECT count(*) FROM send_recipients WHERE merchant_id = :m"),
                                               {"m": merchant_id}).scalar())
    session.rollback()
    return page, count


def best_of(times, work):
    best = float("inf")
    for _ in range(times):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


if __name__ == "__main__":
    main()
