"""A merchant's year for bench/reports.py, made with SQL generate_series (a million rows in seconds, not an ORM
object per row): stores and the owner through the services, then members, till payments with their discounts and
refunds, fans, points, stored-value and coupon rows, then ANALYZE."""
import time

import psycopg

CHUNK = 1_000_000


def seed(app, url, members, payments, stores):
    began = time.monotonic()
    merchant_id, store_ids = _shop(app, stores)
    with psycopg.connect(url, autocommit=True) as connection:
        _members(connection, merchant_id, store_ids, members)
        _payments(connection, merchant_id, store_ids, payments)
        connection.execute("ANALYZE")
    print(f"  seeded in {time.monotonic() - began:.0f} s")
    return merchant_id


def _shop(app, count):
    from bench.verify import bench_shop
    from extensions import db
    from services.merchant import stores

    with app.app_context():
        merchant, store, _owner = bench_shop(db.session)
        ids = [store.id] + [stores.create_store(db.session, merchant.id, f"门店{n}").id for n in range(2, count + 1)]
        db.session.commit()
        merchant_id = merchant.id
        db.engine.dispose()
    return merchant_id, ids


def _members(connection, merchant_id, store_ids, count):
    began = time.monotonic()
    level_ids = [row[0] for row in connection.execute(
        "SELECT id FROM levels WHERE merchant_id = %s ORDER BY rank", (merchant_id,))] or [None]
    connection.execute(
        """
        INSERT INTO members (merchant_id, mobile, gender, custom_fields, level_id, status, points_balance,
                             total_spend, total_topup, visit_count, last_visit_at, growth, home_store_id, created_at)
        SELECT %(merchant)s, '1' || lpad(n::text, 10, '0'), 'unknown', '{}'::json,
               (%(levels)s::int[])[1 + n %% cardinality(%(levels)s::int[])], 'active', n %% 5000, 0, 0, n %% 40,
               now() - make_interval(days => (n %% 400)::int), 0,
               (%(stores)s::int[])[1 + n %% cardinality(%(stores)s::int[])],
               now() - make_interval(secs => (n * 94.6)::int)
        FROM generate_series(1::bigint, %(count)s) AS n
        """, {"merchant": merchant_id, "levels": level_ids, "stores": store_ids, "count": count})
    print(f"  {count:,} members in {time.monotonic() - began:.0f} s")


def _payments(connection, merchant_id, store_ids, count):
    """Payments over the last 365 days, in chunks of a million; 2% refunded a day later."""
    began = time.monotonic()
    first_member, last_member = connection.execute(
        "SELECT min(id), max(id) FROM members WHERE merchant_id = %s", (merchant_id,)).fetchone()
    for start in range(1, count + 1, CHUNK):
        end = min(start + CHUNK - 1, count)
        connection.execute(
            """
            INSERT INTO checkouts (merchant_id, member_id, store_id, source, amount, discount, pay, tender,
                                   balance_paid, points_used, points_earned, coupon_code_ids, steps, state,
                                   refunded_amount, idempotency_key, rewards, created_at)
            SELECT %(merchant)s, CASE WHEN n %% 4 = 0 THEN NULL ELSE %(first)s + n %% (%(last)s - %(first)s + 1) END,
                   (%(stores)s::int[])[1 + n %% cardinality(%(stores)s::int[])], 'staff',
                   amount, discount, amount - discount,
                   CASE WHEN n %% 5 = 0 AND n %% 4 <> 0 THEN 'balance' ELSE (ARRAY['cash', 'wechat', 'alipay', 'card'])[1 + n %% 4] END,
                   CASE WHEN n %% 5 = 0 AND n %% 4 <> 0 THEN amount - discount ELSE 0 END, 0, 0, '[]'::json,
                   CASE WHEN discount > 0 THEN json_build_array(json_build_object('kind', 'level', 'label', '会员折扣',
                        'amount', discount, 'detail', '')) ELSE '[]'::json END,
                   'paid', 0, 'bench-' || n, '[]'::json,
                   now() - make_interval(secs => (n * 3.1536 * 10000000 / %(total)s)::int %% 31536000)
            FROM (SELECT n, 1000 + (n * 7919) %% 50000 AS amount,
                         CASE WHEN n %% 3 = 0 AND n %% 4 <> 0 THEN (1000 + (n * 7919) %% 50000) / 10 ELSE 0 END AS discount
                  FROM generate_series(%(start)s::bigint, %(end)s) AS n) AS g
            """, {"merchant": merchant_id, "first": first_member, "last": last_member, "stores": store_ids,
                  "start": start, "end": end, "total": count})
        print(f"  payments {end:,} ({time.monotonic() - began:.0f} s)")
    connection.execute(
        """
        INSERT INTO checkout_refunds (merchant_id, checkout_id, amount, balance_back, points_back, points_taken_back,
                                      coupons_restored, not_reversed, reason, idempotency_key, created_at)
        SELECT merchant_id, id, pay / 2, 0, 0, 0, '[]'::json, '[]'::json, '退货', 'bench-refund-' || id,
               least(created_at + interval '1 day', now())
        FROM checkouts WHERE merchant_id = %s AND id %% 50 = 0 AND pay > 1
        """, (merchant_id,))
    connection.execute("UPDATE checkouts SET refunded_amount = pay / 2 WHERE merchant_id = %s AND id %% 50 = 0 "
                       "AND pay > 1", (merchant_id,))
    print(f"  {count:,} payments and their refunds in {time.monotonic() - began:.0f} s")
