"""Reports over 1,000,000 members and 10,000,000 till payments on PostgreSQL (issue 23: every page under 1 s).

Run: .venv/bin/python bench/reports.py [--members 1000000] [--payments 10000000] [--stores 20] [--repeat 5]
     [--keep (keep the database and print its URL)] [--url postgresql://…/db (time a database an earlier --keep
     run seeded: no seeding)]
A small run: --members 20000 --payments 200000 (about a minute).

Creates a throwaway database on BENCH_DATABASE_URL's server (default local PostgreSQL), migrates it, and builds one
merchant's years with set-based SQL (bench/report_data.py: members, attributions, level changes, fans, payments
with refunds, the stored-value journal with its orders, points, coupons and cards). Then, in the same run:

- rebuild: every family's rollups for the 365 closed days before today, in order, one commit a day (the nightly
  job's work): total, ms a day and the slowest day; then that every family's rollups hold every figure its page
  shows (each expected key with a count or amount other than zero), so no empty page is timed;
- baseline: the plain SQL a report without rollups would run, the payments' count and sum per local day over the
  365 days (an index range scan of the year's payments): best and median;
- pages, GET through the app signed in as the owner: the dashboard, then each report page and 积分查询's first
  page over the last 30 and the last 365 days; one warm-up GET each, checked to answer 200 and to show figures
  other than zero, then best and median of --repeat, and the median's ratio to the baseline's median;
- the worst case of the stored-value balance: yesterday's snapshot with no day before it built (the whole journal
  summed, as a merchant's first build does), against chained from the day before.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import report_data  # noqa: E402
from bench.verify import SERVER_URL, VENV_BIN, migrated_database, seeding_app  # noqa: E402

DAYS = 365
TARGET = 1.0  # seconds, the bound for every page
# (path, the stat boxes that must show a figure other than zero: their value or their note)
PAGES = (
    ("/backoffice/", ("today-paid", "today-payments", "today-new_members", "today-topups", "today-points_issued",
                      "today-coupons_used")),
    ("/backoffice/reports/sales", ("stat-paid", "stat-discount", "stat-member-share", "stat-refunded")),
    ("/backoffice/reports/members", ("stat-new", "stat-followed", "stat-converted")),
    ("/backoffice/reports/stored-value", ("stat-topped-up", "stat-bonus", "stat-spent", "stat-topup-refunded")),
    ("/backoffice/reports/points", ("stat-issued", "stat-used", "stat-expired", "stat-adjusted", "stat-reversed")),
    ("/backoffice/reports/coupons", ("stat-issued", "stat-claimed", "stat-used", "stat-expired")),
    ("/backoffice/reports/cards", ("stat-income", "stat-given", "stat-uses", "stat-spent", "stat-refunded")),
    ("/backoffice/points/records", ()),  # a list: its first row is checked instead
)
# Keys each family's rollups must hold over the year (a key ending in ":" is a prefix)
EXPECTED = {
    "sales": ("payments", "gross", "discount", "tender:", "member", "discount:level", "refunds"),
    "members": ("new:store", "new:staff", "new:share:", "new:assisted", "new:natural", "new:other", "fans:followed",
                "fans:unfollowed", "fans:became_member"),
    "member_totals": ("total", "active", "dormant", "level:"),
    "wallet": ("topup:online:", "topup:counter:", "bonus:topup", "bonus:instalment", "bonus:points", "refund_failed",
               "credit:other", "spend", "spend:bonus", "spend_refund", "topup_refund", "topup_refund:bonus",
               "withdraw", "gift:in", "gift:spend", "gift:spend_refund"),
    "wallet_balance": ("principal", "bonus", "gift_card"),
    "points": ("kind:earn:in", "kind:referral:in", "kind:spend:out", "kind:expire:out", "kind:adjust:in",
               "kind:adjust:out", "kind:reverse:in", "kind:reverse:out"),
    "coupons": ("issued:", "claimed:", "shared:", "used:", "undone:", "expired:"),
    "cards": ("sold:", "given:", "activated:", "used:", "undone:", "refunded:"),
}
STAT = re.compile(r'<div class="bo-stat" id="([\w-]+)">(.*?)</div>', re.S)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    parser.add_argument("--url", default="", help="a database an earlier --keep run seeded: time only")
    args = parser.parse_args()
    with _database(args.keep, args.url) as url:
        app = seeding_app(url)
        if args.url:
            print(f"reports benchmark on {args.url} (seeded before)")
            merchant_id = _bench_merchant(app)
        else:
            print(f"reports benchmark: {args.members:,} members, {args.payments:,} payments, {args.stores} stores")
            began = time.monotonic()
            merchant_id = report_data.seed(app, url, args.members, args.payments, args.stores)
            print(f"seeding: {time.monotonic() - began:.0f} s")
        rebuild(app, merchant_id)
        covered(url, merchant_id)
        base = baseline(app, url, merchant_id, args.repeat)
        slow = pages(app, merchant_id, args.repeat, base)
        balance_worst_case(app, merchant_id)
        with app.app_context():
            from extensions import db
            db.engine.dispose()
    print("every page under 1 s" if not slow else "over 1 s: " + ", ".join(slow))


@contextmanager
def _database(keep, url):
    """The given database; or a new one, migrated, dropped afterwards unless kept."""
    if url:
        yield url
        return
    if not keep:
        with migrated_database("") as (made, _name, _env):
            yield made
        return
    name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    made = SERVER_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": made, "APP_ENV": "development", "REDIS_URL": "", "SANDBOX_ENABLED": "0"}
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"database kept (drop it when done): {made}")
    yield made


def _bench_merchant(app):
    from extensions import db
    from models import Merchant

    with app.app_context():
        return db.session.query(Merchant.id).filter_by(slug="bench").scalar()


def rebuild(app, merchant_id):
    """Every family's closed days of the year, oldest first, one commit a day."""
    from domain.clock import local_today
    from extensions import db
    from models import Merchant
    from services.reports import catalogue, rollups

    print(f"rebuild, {DAYS} days each:")
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        today = local_today(merchant.timezone)
        days = [today - timedelta(days=n) for n in range(DAYS, 0, -1)]
        for fam in catalogue.all_families():
            timings = []
            for day in days:
                began = time.perf_counter()
                rollups.rebuild_day(db.session, merchant.id, merchant.timezone, fam, day)
                db.session.commit()
                timings.append(time.perf_counter() - began)
            slowest = max(range(len(days)), key=timings.__getitem__)
            print(f"  {fam.name:<15} {sum(timings):7.1f} s  {sum(timings) / len(days) * 1000:7.1f} ms/day  "
                  f"slowest {timings[slowest] * 1000:7.1f} ms ({days[slowest]})", flush=True)


def covered(url, merchant_id):
    """Every family's rollups hold every key its page shows, with a figure other than zero."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT family, key, count(*), sum(count), sum(amount) FROM report_daily WHERE merchant_id = %s "
            "GROUP BY family, key", (merchant_id,)).fetchall()
    keys, stored = {}, {}
    for family, key, count, figures, amount in rows:
        stored[family] = stored.get(family, 0) + count
        if figures or amount:
            keys.setdefault(family, set()).add(key)
    missing = {family: [want for want in wanted
                        if not any(key == want or want.endswith(":") and key.startswith(want)
                                   for key in keys.get(family, ()))]
               for family, wanted in EXPECTED.items()}
    print("rollups: " + ", ".join(f"{family} {stored.get(family, 0):,} rows / {len(keys.get(family, ())):,} keys"
                                  for family in EXPECTED))
    assert not any(missing.values()), f"figures missing from the rollups: {missing}"


def baseline(app, url, merchant_id, repeat):
    """Count and sum of the payments per local day over the year, in plain SQL; returns the median seconds."""
    from domain.clock import local_today
    from extensions import db
    from models import Merchant
    from services.reports import rollups

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        tz, today = merchant.timezone, local_today(merchant.timezone)
        start, end = rollups.day_window(today - timedelta(days=DAYS - 1), tz)[0], rollups.day_window(today, tz)[1]
    timings = []
    with psycopg.connect(url) as connection:
        for n in range(repeat + 1):
            began = time.perf_counter()
            days = connection.execute(
                "SELECT (created_at AT TIME ZONE %s)::date, count(*), sum(pay) FROM checkouts"
                " WHERE merchant_id = %s AND created_at >= %s AND created_at < %s GROUP BY 1",
                (tz, merchant_id, start, end)).fetchall()
            if n:  # the first warms the cache, as the pages' warm-up GET does
                timings.append(time.perf_counter() - began)
    median = statistics.median(timings)
    print(f"baseline: raw payments per day over {DAYS} d ({len(days)} days, {sum(d[1] for d in days):,} payments)"
          f"   best {min(timings) * 1000:7.1f} ms   median {median * 1000:7.1f} ms")
    return median


def pages(app, merchant_id, repeat, base):
    """Each page over 30 and 365 days: checked once, then timed; returns the pages slower than TARGET."""
    from domain.clock import local_today
    from extensions import db
    from models import Merchant, Staff

    print("pages (GET, signed in as the owner):")
    slow = []
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        owner = db.session.query(Staff).filter_by(merchant_id=merchant_id, role="owner").first()
        today = local_today(merchant.timezone)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = owner.get_id()
            session["_fresh"] = True
        for path, stats in PAGES:
            for days in ((None,) if path == "/backoffice/" else (30, DAYS)):
                query = "" if days is None else \
                    f"?start={(today - timedelta(days=days - 1)).isoformat()}&end={today.isoformat()}"
                _check(path, client.get(path + query), stats)
                timings = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    response = client.get(path + query)
                    timings.append(time.perf_counter() - began)
                    assert response.status_code == 200, (path, days, response.status_code)
                median = statistics.median(timings)
                label = path if days is None else f"{path} {days} d"
                print(f"  {label:<40} best {min(timings) * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
                      f"{median / base:6.3f}x baseline", flush=True)
                if median > TARGET:
                    slow.append(label)
    return slow


def _check(path, response, stats):
    """200, and each named stat box (or the list's first row) shows a figure other than zero."""
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data(as_text=True)
    shown = {stat_id: re.sub(r"<[^>]+>", " ", body) for stat_id, body in STAT.findall(html)}
    for stat_id in stats:
        assert stat_id in shown, (path, stat_id, "not on the page")
        assert re.search(r"[1-9]", shown[stat_id]), (path, stat_id, "shows only zeros", shown[stat_id])
    if not stats:
        assert "data-txn-id=" in html, (path, "no row")


def balance_worst_case(app, merchant_id):
    """Yesterday's balance snapshot with nothing built before it (the whole journal summed), then chained."""
    from sqlalchemy import delete

    from domain.clock import local_today
    from extensions import db
    from models import Merchant, ReportBuiltDay, ReportDaily
    from services.reports import catalogue, rollups

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        tz = merchant.timezone
        yesterday = local_today(tz) - timedelta(days=1)
        fam = catalogue.family("wallet_balance")
        for model in (ReportDaily, ReportBuiltDay):
            db.session.execute(delete(model).where(model.merchant_id == merchant_id, model.family == fam.name,
                                                   model.day < yesterday))
        db.session.commit()
        for label in ("alone (whole journal)", "chained (day before)"):
            if label.startswith("chained"):
                rollups.rebuild_day(db.session, merchant_id, tz, fam, yesterday - timedelta(days=1))
                db.session.commit()
            began = time.perf_counter()
            rollups.rebuild_day(db.session, merchant_id, tz, fam, yesterday)
            db.session.commit()
            print(f"wallet_balance yesterday, {label:<22} {(time.perf_counter() - began) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
