"""One merchant's years for bench/reports.py, made with set-based SQL only: generate_series and INSERT … SELECT,
one statement per chunk of at most a million rows (a million rows in seconds, never an ORM object per row).

The shop (stores, owner, three levels, a store's, a staff member's and two share channels' join codes) is made
through the services; then, for `members` members and `payments` till payments:

- members: joined evenly over three years (row n at now - n × 3 years / members: ids rise as the join goes back),
  three in ten on level 2 or 3, two in five with a home store; seven in ten with a join attribution (through a
  code, a staff member's assisted join, or nobody: natural); a level change each at joining and an upgrade for
  those above level 1; fans: one in four members was a fan an hour before joining (a third of fans unfollowed
  three days later), and as many fans who never joined;
- payments over the last 365 days (a quarter walk-ins; a fifth of the members' paid from the balance; a third of
  theirs with a level discount step), one in fifty half refunded a day later;
- the stored-value journal (2 × members rows over the 365 days, row n % 40 says what): top-ups of an order online
  and at a counter with bonus, bonus by instalment, spending and its refunds, refunded top-ups, points turned into
  balance, manual credits and withdrawals, gift cards credited, spent and refunded; a wallet per member with a
  balance, one gift-card wallet per twenty members;
- 3 × members points changes of every kind, in and out;
- six coupon templates and `members` codes across every channel (three in ten used with a verification, one in
  fifty of those undone; the rest reach their end 30 days on unused, a few voided or given to a friend);
- eight card templates (two of each kind), members / 10 cards sold, given or in a physical gift-card batch (half
  activated), their uses (count, timed, gift) with undos, benefit cards taken back and card orders refunded.

Then VACUUM ANALYZE, as autovacuum would have done long before a real merchant read a year of reports.
"""
import json
import time

import psycopg

CHUNK = 1_000_000
DAYS = 365
JOIN_DAYS = 3 * 365
COUPON_CHANNELS = ("follow_gift", "menu", "poster_qr", "receipt_qr", "staff", "mass_message", "template_message",
                   "shop_qr", "points_exchange", "purchase", "h5", "bulk", "friend", "campaign", "referral")
# (kind, title, price or face value in fen): two templates of each kind
CARD_TEMPLATES = (("count", "洗车十次卡", 19900), ("timed", "健身月卡", 9900), ("gift", "百元礼品卡", 10000),
                  ("benefit", "黑金权益卡", 29900), ("count", "护理五次卡", 9900), ("timed", "季卡", 29900),
                  ("gift", "两百元礼品卡", 20000), ("benefit", "银卡权益", 9900))

AT = "now() - make_interval(secs => n * %(secs)s::float8 / %(total)s)"  # row n of total, spread back over secs
SERIES = "generate_series(%(lo)s::bigint, %(hi)s) AS n"
IDS = "merchant_id = %(m)s AND id BETWEEN %(first)s + %(lo)s - 1 AND %(first)s + %(hi)s - 1"  # a chunk of ids
MEMBER = "%(first_member)s + (n * 7919) %% %(members)s"  # a member spread over every id
STORE = "(%(stores)s::int[])[1 + (n / 3) %% cardinality(%(stores)s::int[])]"

MEMBERS = f"""
INSERT INTO members (merchant_id, mobile, name, gender, custom_fields, level_id, status, points_balance, total_spend,
                     total_topup, visit_count, growth, home_store_id, created_at)
SELECT %(m)s, '1' || lpad(n::text, 10, '0'), '会员' || n, 'unknown', '{{}}'::json,
       (%(levels)s::int[])[CASE WHEN n %% 10 < 3 THEN 2 + n %% 2 ELSE 1 END], 'active', n %% 5000, 0, 0, n %% 40, 0,
       CASE WHEN n %% 5 < 2 THEN {STORE.replace("n / 3", "n / 5")} END, {AT}
FROM {SERIES}"""
ATTRIBUTIONS = f"""
INSERT INTO attributions (merchant_id, key, event, member_id, source_id, staff_id, store_id, amount, created_at)
SELECT merchant_id, 'join:' || id, 'join', id, CASE WHEN id %% 10 < 4 THEN (%(sources)s::int[])[1 + id %% 4] END,
       CASE WHEN id %% 10 IN (4, 5) THEN %(owner)s END,
       CASE WHEN id %% 10 IN (4, 5) THEN coalesce(home_store_id, (%(stores)s::int[])[1]) END, 0, created_at
FROM members WHERE {IDS} AND id %% 10 < 7"""
LEVEL_JOINS = f"""
INSERT INTO level_changes (merchant_id, member_id, from_level_id, to_level_id, reason, created_at)
SELECT merchant_id, id, NULL, (%(levels)s::int[])[1], 'join', created_at FROM members WHERE {IDS}"""
LEVEL_UPGRADES = f"""
INSERT INTO level_changes (merchant_id, member_id, from_level_id, to_level_id, reason, created_at)
SELECT merchant_id, id, (%(levels)s::int[])[1], level_id, 'auto', created_at + (now() - created_at) * (id %% 7 + 1) / 8
FROM members WHERE {IDS} AND level_id <> (%(levels)s::int[])[1]"""
FANS_JOINED = f"""
INSERT INTO fans (merchant_id, app_id, openid, subscribed, subscribed_at, unsubscribed_at, member_id, created_at)
SELECT merchant_id, 'wxbench', 'om' || id, id %% 3 <> 0, created_at - interval '1 hour',
       CASE WHEN id %% 3 = 0 THEN least(created_at + interval '3 days', now()) END, id, created_at - interval '1 hour'
FROM members WHERE {IDS} AND id %% 4 = 0"""
FANS_ONLY = f"""
INSERT INTO fans (merchant_id, app_id, openid, subscribed, subscribed_at, unsubscribed_at, created_at)
SELECT %(m)s, 'wxbench', 'of' || n, n %% 3 <> 0, at,
       CASE WHEN n %% 3 = 0 THEN least(at + interval '3 days', now()) END, at
FROM (SELECT n, {AT} AS at FROM {SERIES}) AS f"""
CHECKOUTS = f"""
INSERT INTO checkouts (merchant_id, member_id, store_id, source, amount, discount, pay, tender, balance_paid,
                       points_used, points_earned, coupon_code_ids, steps, state, refunded_amount, idempotency_key,
                       rewards, created_at)
SELECT %(m)s, CASE WHEN n %% 4 <> 0 THEN {MEMBER} END, {STORE}, 'staff', amount, discount, amount - discount,
       CASE WHEN n %% 5 = 0 AND n %% 4 <> 0 THEN 'balance'
            ELSE (ARRAY['cash', 'wechat', 'alipay', 'card'])[1 + n / 7 %% 4] END,
       CASE WHEN n %% 5 = 0 AND n %% 4 <> 0 THEN amount - discount ELSE 0 END, 0, 0, '[]'::json,
       CASE WHEN discount > 0 THEN json_build_array(json_build_object('kind', 'level', 'label', '会员折扣',
            'amount', discount, 'detail', '')) ELSE '[]'::json END,
       'paid', 0, 'bench-' || n, '[]'::json, {AT}
FROM (SELECT n, 1000 + (n * 7919) %% 50000 AS amount,
             CASE WHEN n %% 3 = 0 AND n %% 4 <> 0 THEN (1000 + (n * 7919) %% 50000) / 10 ELSE 0 END AS discount
      FROM {SERIES}) AS g"""
REFUNDS = f"""
WITH refunded AS (
    UPDATE checkouts SET refunded_amount = pay / 2 WHERE {IDS} AND id %% 50 = 0 AND pay > 1
    RETURNING merchant_id, id, pay, created_at)
INSERT INTO checkout_refunds (merchant_id, checkout_id, amount, balance_back, points_back, points_taken_back,
                              coupons_restored, not_reversed, reason, idempotency_key, created_at)
SELECT merchant_id, id, pay / 2, 0, 0, 0, '[]'::json, '[]'::json, '退货', 'bench-refund-' || id,
       least(created_at + interval '1 day', now())
FROM refunded"""
MEMBER_WALLETS = f"""
INSERT INTO wallets (merchant_id, member_id, kind, principal, bonus, frozen, created_at)
SELECT merchant_id, id, 'member', id %% 50 * 1000, id %% 50 * 100, false, created_at FROM members WHERE {IDS}"""
GIFT_WALLETS = f"""
INSERT INTO wallets (merchant_id, kind, principal, bonus, frozen, created_at)
SELECT %(m)s, 'gift_card', 0, 0, false, now() - interval '400 days' FROM {SERIES}"""
# what = n % 40: 0-8 top-up (credit of an order: principal + 10% bonus), 9 bonus by instalment, 10-29 spending
# (90% principal, 10% bonus), 30 spending refunded, 31 top-up refunded with its bonus taken back, 32 points turned
# into balance, 33 a manual credit, 34 a failed refund put back, 35 a withdrawal, 36-37 gift card credited, 38 spent
# from a gift card, 39 a gift-card spend refunded. Online top-ups (no store) when (n / 40) is even.
JOURNAL = f"""
WITH r AS (
    SELECT n, n %% 40 AS what, n / 40 %% 2 = 0 AS online, {STORE} AS store_id, {MEMBER} AS member_id,
           100 * (10 + (n * 31) %% 990) AS amount, {AT} AS at
    FROM {SERIES}),
o AS (
    INSERT INTO orders (merchant_id, member_id, store_id, kind, state, channel, out_trade_no, amount, currency,
                        description, items, idempotency_key, expires_at, paid_at, fulfilled_at, refunded_amount,
                        fulfilment, created_at)
    SELECT %(m)s, member_id, CASE WHEN NOT online THEN store_id END, 'topup', 'fulfilled',
           (CASE WHEN online THEN ARRAY['wechat', 'alipay'] ELSE ARRAY['cash', 'bankcard'] END)[1 + n %% 2],
           'BT' || n, amount, 'CNY', '储值充值', '{{}}'::json, 'bench-topup-' || n, at, at, at, 0, '{{}}'::json, at
    FROM r WHERE what < 10
    RETURNING id, out_trade_no)
INSERT INTO wallet_transactions (merchant_id, wallet_id, kind, principal_delta, bonus_delta, principal_after,
                                 bonus_after, reference_type, reference_id, idempotency_key, store_id, created_at)
SELECT %(m)s, CASE WHEN r.what >= 36 THEN %(gift_first)s + r.n %% %(gift_count)s ELSE w.id END,
       CASE WHEN r.what < 10 OR r.what IN (32, 33, 34, 36, 37) THEN 'credit' WHEN r.what < 30 OR r.what = 38
            THEN 'debit' WHEN r.what IN (30, 39) THEN 'refund' ELSE 'withdraw' END,
       CASE WHEN r.what < 9 OR r.what IN (36, 37) THEN r.amount WHEN r.what IN (9, 32) THEN 0
            WHEN r.what < 30 THEN -(r.amount * 9 / 10) WHEN r.what = 30 THEN r.amount / 2 WHEN r.what = 31
            THEN -r.amount WHEN r.what IN (33, 34) THEN r.amount / 5 WHEN r.what = 35 THEN -(r.amount / 4)
            WHEN r.what = 38 THEN -(r.amount / 2) ELSE r.amount / 4 END,
       CASE WHEN r.what < 9 THEN r.amount / 10 WHEN r.what = 9 THEN r.amount / 20
            WHEN r.what < 30 THEN -(r.amount - r.amount * 9 / 10) WHEN r.what = 31 THEN -(r.amount / 10)
            WHEN r.what = 32 THEN 100 ELSE 0 END,
       0, 0,
       CASE WHEN r.what < 10 THEN 'order' WHEN r.what < 30 THEN 'checkout' WHEN r.what = 30 THEN 'checkout_refund'
            WHEN r.what IN (31, 34) THEN 'order_refund' WHEN r.what = 32 THEN 'points_to_balance'
            WHEN r.what >= 36 THEN 'gift_card' END,
       CASE WHEN r.what < 10 THEN o.id::text ELSE r.n::text END, 'bench-w-' || r.n,
       CASE WHEN r.what < 10 AND r.online OR r.what BETWEEN 31 AND 35 THEN NULL ELSE r.store_id END, r.at
FROM r JOIN wallets w ON w.merchant_id = %(m)s AND w.member_id = r.member_id AND w.kind = 'member'
LEFT JOIN o ON o.out_trade_no = 'BT' || r.n"""
# kinds by n % 12, with their sign: earn ×4 +, spend ×2 −, expire −, adjust + and −, reverse − and +, referral +
POINTS = f"""
INSERT INTO points_transactions (merchant_id, member_id, kind, amount, balance_after, idempotency_key, store_id,
                                 created_at)
SELECT %(m)s, {MEMBER},
       (ARRAY['earn', 'earn', 'earn', 'earn', 'spend', 'spend', 'expire', 'adjust', 'adjust', 'reverse', 'reverse',
              'referral'])[1 + n %% 12],
       CASE WHEN n %% 12 IN (4, 5, 6, 8, 9) THEN -1 ELSE 1 END * (1 + (n * 13) %% 500), 1000, 'bench-p-' || n,
       CASE WHEN n %% 12 NOT IN (6, 11) THEN {STORE} END, {AT}
FROM {SERIES}"""
COUPON_TEMPLATES = """
INSERT INTO coupon_templates (merchant_id, kind, title, cover_color, amount_off, discount_percent, stock_issued,
                              validity_mode, valid_days, valid_after_days, all_stores, weekdays, free_claim,
                              points_prices, shareable, active, created_at)
SELECT %(m)s, CASE WHEN n %% 3 = 0 THEN 'discount' ELSE 'cash' END, '压测券' || n, '#07C160',
       CASE WHEN n %% 3 <> 0 THEN 500 * n END, CASE WHEN n %% 3 = 0 THEN 85 END, 0, 'relative', 30, 0, true,
       '[]'::json, true, '{}'::json, true, true, now() - interval '400 days'
FROM generate_series(1, 6) AS n ORDER BY n RETURNING id"""
COUPON_CODES = f"""
INSERT INTO coupon_codes (merchant_id, template_id, member_id, code, state, channel, idempotency_key, starts_at,
                          ends_at, used_at, used_store_id, created_at)
SELECT %(m)s, (%(coupons)s::int[])[1 + n %% cardinality(%(coupons)s::int[])], {MEMBER}, 'C' || n, state, channel,
       'bench-c-' || n, at, at + interval '30 days',
       CASE WHEN state = 'used' THEN least(at + make_interval(hours => (n %% 72)::int), now()) END,
       CASE WHEN state = 'used' THEN {STORE} END, at
FROM (SELECT n, {AT} AS at, (%(channels)s::text[])[1 + n / 10 %% cardinality(%(channels)s::text[])] AS channel,
             CASE WHEN n %% 10 < 3 THEN 'used' WHEN n %% 50 = 3 THEN 'voided' WHEN n %% 50 = 4 THEN 'transferred'
                  ELSE 'available' END AS state
      FROM {SERIES}) AS c"""
COUPON_USES = f"""
INSERT INTO verifications (merchant_id, instrument_type, coupon_code_id, instrument_name, method, store_id, staff_id,
                           member_id, amount_received, idempotency_key, undone_at, created_at)
SELECT merchant_id, 'coupon', id, '压测券', 'scan', used_store_id, %(owner)s, member_id, 5000 + id %% 20000,
       'bench-v-' || id, CASE WHEN id / 10 %% 50 = 0 THEN least(used_at + interval '5 minutes', now()) END, used_at
FROM coupon_codes WHERE {IDS} AND state = 'used'"""
CARD_TEMPLATE = """
INSERT INTO card_templates (merchant_id, kind, title, cover_color, all_stores, valid_days, price, stock_issued, listed,
                            disabled, service_name, uses, tiers, start_mode, start_after_days, photo_required,
                            face_values, themes, activation, discount_percent, free_items, gift_pack, membership,
                            created_at)
VALUES (%(m)s, %(kind)s, %(title)s, '#07C160', true, %(valid_days)s, %(sale_price)s, 0, true, false, %(service)s,
        %(uses)s, %(tiers)s::json, 'first_use', 0, false, %(face_values)s::json, '[]'::json, 'auto', %(discount)s,
        '[]'::json, '[]'::json, false, now() - interval '400 days')
RETURNING id"""
GIFT_BATCH = """
INSERT INTO gift_card_batches (merchant_id, template_id, face_value, quantity, created_by_id, created_at)
VALUES (%(m)s, %(template)s, %(price)s, %(quantity)s, %(owner)s, now() - interval '400 days') RETURNING id"""
# template i = 1 + n % 8; a gift template's card is a physical batch card when (n / 8) % 3 = 0, activated by a
# member when (n / 8) is even too; others are sold (purchase) or given (staff, campaign) by (n / 8) % 5
CARDS = f"""
INSERT INTO cards (merchant_id, template_id, kind, member_id, code, state, channel, idempotency_key, starts_at, ends_at,
                   uses_total, uses_left, tier_key, days, face_value, card_no, batch_id, activated_at, price_paid,
                   created_at)
SELECT %(m)s, template_id, kind, CASE WHEN batch_id IS NULL OR activated THEN member_id END, 'K' || n,
       CASE WHEN batch_id IS NOT NULL AND NOT activated THEN 'inactive' ELSE 'active' END,
       CASE WHEN batch_id IS NULL THEN channel ELSE 'purchase' END, 'bench-k-' || n,
       CASE WHEN kind = 'timed' THEN at END, CASE WHEN kind = 'timed' THEN at + interval '30 days' END,
       CASE WHEN kind = 'count' THEN 10 END, CASE WHEN kind = 'count' THEN 10 - n %% 5 END,
       CASE WHEN kind = 'timed' THEN 'month' END, CASE WHEN kind = 'timed' THEN 30 END,
       CASE WHEN kind = 'gift' THEN price END, CASE WHEN batch_id IS NOT NULL THEN 'P' || n END, batch_id,
       CASE WHEN activated THEN least(at + interval '2 days', now()) END,
       CASE WHEN batch_id IS NULL AND channel = 'purchase' THEN price END, at
FROM (SELECT n, at, kind, template_id, price, batch_id, channel, batch_id IS NOT NULL AND n / 8 %% 2 = 0 AS activated,
             {MEMBER} AS member_id
      FROM (SELECT n, {AT} AS at, (%(card_kinds)s::text[])[i] AS kind, (%(cards)s::int[])[i] AS template_id,
                   (%(card_prices)s::bigint[])[i] AS price,
                   CASE WHEN n / 8 %% 3 = 0 THEN (%(batches)s::int[])[i] END AS batch_id,
                   (ARRAY['staff', 'campaign', 'purchase', 'purchase', 'purchase'])[1 + n / 8 %% 5] AS channel
            FROM (SELECT n, 1 + n %% cardinality(%(cards)s::int[]) AS i FROM {SERIES}) AS s) AS t) AS c"""
# each live count, timed or gift card used one to three times, three days apart (none later than now)
CARD_USES = f"""
INSERT INTO verifications (merchant_id, instrument_type, card_id, quantity, amount_taken, instrument_name, method,
                           store_id, staff_id, member_id, amount_received, idempotency_key, undone_at, created_at)
SELECT c.merchant_id, c.kind || '_card', c.id, CASE WHEN c.kind = 'count' THEN 1 + u %% 2 END,
       CASE WHEN c.kind = 'gift' THEN 1000 * u END, '压测卡', 'scan',
       (%(stores)s::int[])[1 + (c.id + u) %% cardinality(%(stores)s::int[])], %(owner)s, c.member_id, 0,
       'bench-kv-' || c.id || '-' || u, CASE WHEN (c.id + u) %% 50 = 0 THEN least(at + interval '5 minutes', now()) END,
       at
FROM cards c CROSS JOIN LATERAL (SELECT u, least(c.created_at + make_interval(days => 3 * u), now()) AS at
                                 FROM generate_series(1, 1 + c.id %% 3) AS u) AS v
WHERE c.{IDS} AND c.kind IN ('count', 'timed', 'gift') AND c.state = 'active'"""
CARD_REFUNDS = f"""
WITH taken AS (
    UPDATE cards SET state = 'refunded', closed_at = least(created_at + interval '7 days', now())
    WHERE {IDS} AND kind = 'benefit' AND id / 8 %% 10 = 0 RETURNING merchant_id, id, member_id, price_paid, closed_at)
INSERT INTO card_refunds (merchant_id, card_id, member_id, with_money, amount, coupons_taken_back, reason, staff_id,
                          idempotency_key, created_at)
SELECT merchant_id, id, member_id, price_paid IS NOT NULL, coalesce(price_paid / 2, 0), 0, '退卡', %(owner)s,
       'bench-kr-' || id, closed_at
FROM taken"""
CARD_ORDER_REFUNDS = f"""
WITH o AS (
    INSERT INTO orders (merchant_id, member_id, kind, state, channel, out_trade_no, amount, currency, description,
                        items, idempotency_key, expires_at, paid_at, fulfilled_at, refunded_amount, fulfilment,
                        created_at)
    SELECT merchant_id, member_id, kind || '_card', 'refunded', 'wechat', 'BK' || id, price_paid, 'CNY', '购卡',
           json_build_object('template_id', template_id), 'bench-card-order-' || id, created_at, created_at,
           created_at, price_paid, '{{}}'::json, created_at
    FROM cards WHERE {IDS} AND kind IN ('count', 'timed') AND price_paid > 0 AND id %% 20 = 0
    RETURNING merchant_id, id, amount, created_at, out_trade_no)
INSERT INTO order_refunds (merchant_id, order_id, amount, bonus_back, bonus_unrecoverable, reason, out_refund_no, state,
                           idempotency_key, created_at)
SELECT merchant_id, id, amount, 0, 0, '退卡', 'R' || out_trade_no, CASE WHEN id %% 10 = 0 THEN 'failed'
       ELSE 'succeeded' END, 'bench-or-' || id, least(created_at + interval '5 days', now())
FROM o"""
TABLES = ("members", "attributions", "level_changes", "fans", "checkouts", "checkout_refunds", "wallets", "orders",
          "wallet_transactions", "points_transactions", "coupon_codes", "verifications", "cards", "card_refunds",
          "order_refunds")


def seed(app, url, members, payments, stores):
    """Build everything; returns the merchant id."""
    began = time.monotonic()
    shop = _shop(app, stores)
    p = {"m": shop["merchant"], "stores": shop["stores"], "levels": shop["levels"], "sources": shop["sources"],
         "owner": shop["owner"], "members": members, "secs": DAYS * 86400, "channels": list(COUPON_CHANNELS)}
    with psycopg.connect(url, autocommit=True) as db:
        step = _Steps(db, p)
        step.series("members", MEMBERS, members, secs=JOIN_DAYS * 86400)
        p["first_member"] = step.first_id("members", members)
        step.ids("join attributions", ATTRIBUTIONS, "members")
        step.ids("level changes at joining", LEVEL_JOINS, "members")
        step.ids("level upgrades", LEVEL_UPGRADES, "members")
        step.ids("fans who joined", FANS_JOINED, "members")
        step.series("fans who did not", FANS_ONLY, members // 4, secs=JOIN_DAYS * 86400)
        step.series("till payments", CHECKOUTS, payments)
        step.ids("refunds", REFUNDS, "checkouts")
        step.ids("member wallets", MEMBER_WALLETS, "members")
        step.series("gift-card wallets", GIFT_WALLETS, max(1, members // 20))
        gift = db.execute("SELECT min(id), count(*), max(id) FROM wallets"
                          " WHERE merchant_id = %s AND kind = 'gift_card'", (p["m"],)).fetchone()
        assert gift[2] - gift[0] + 1 == gift[1], "gift-card wallets are not one id range"
        p.update(gift_first=gift[0], gift_count=gift[1])
        step.series("stored-value journal (and top-up orders)", JOURNAL, 2 * members)
        step.series("points changes", POINTS, 3 * members)
        p["coupons"] = [row[0] for row in db.execute(COUPON_TEMPLATES, p)]
        step.series("coupon codes", COUPON_CODES, members)
        step.ids("coupon verifications", COUPON_USES, "coupon_codes")
        _card_templates(db, p, members // 10)
        step.series("cards", CARDS, max(8, members // 10))
        step.ids("card uses", CARD_USES, "cards")
        step.ids("benefit cards taken back", CARD_REFUNDS, "cards")
        step.ids("card orders refunded", CARD_ORDER_REFUNDS, "cards")
        t = time.monotonic()
        for table in TABLES:
            db.execute(f"VACUUM ANALYZE {table}")
        print(f"  VACUUM ANALYZE in {time.monotonic() - t:.0f} s", flush=True)
        counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
    print("  rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    print(f"  seeded in {time.monotonic() - began:.0f} s", flush=True)
    return p["m"]


class _Steps:
    """Runs one statement per chunk of at most CHUNK rows, printing progress."""

    def __init__(self, db, params):
        self.db, self.params = db, params

    def series(self, label, sql, total, secs=None):
        """Rows n = 1..total of generate_series, a chunk at a time."""
        self._chunks(label, sql, total, {"total": total, **({"secs": secs} if secs else {})})

    def ids(self, label, sql, table):
        """Rows made from another table's rows of this merchant, a chunk of ids at a time."""
        first, last = self.db.execute(f"SELECT min(id), max(id) FROM {table} WHERE merchant_id = %s",
                                      (self.params["m"],)).fetchone()
        self._chunks(label, sql, last - first + 1, {"first": first})

    def first_id(self, table, count):
        first, last = self.db.execute(f"SELECT min(id), max(id) FROM {table} WHERE merchant_id = %s",
                                      (self.params["m"],)).fetchone()
        assert last - first + 1 == count, f"{table} are not one id range"
        return first

    def _chunks(self, label, sql, total, extra):
        began, made = time.monotonic(), 0
        for lo in range(1, total + 1, CHUNK):
            hi = min(lo + CHUNK - 1, total)
            made += self.db.execute(sql, {**self.params, **extra, "lo": lo, "hi": hi}).rowcount
            print(f"  {label}: {made:,} rows ({hi:,} of {total:,} done, {time.monotonic() - began:.0f} s)",
                  flush=True)


def _card_templates(db, p, cards):
    ids, batches = [], []
    for kind, title, price in CARD_TEMPLATES:
        values = {"kind": kind, "title": title, "valid_days": 30 if kind in ("timed", "benefit") else None,
                  "sale_price": None if kind == "gift" else price, "service": "洗车" if kind == "count" else None,
                  "uses": 10 if kind == "count" else None, "discount": 90 if kind == "benefit" else None,
                  "tiers": json.dumps([{"key": "month", "label": "月卡", "days": 30, "price": price}]
                                      if kind == "timed" else []),
                  "face_values": json.dumps([price] if kind == "gift" else [])}
        ids.append(db.execute(CARD_TEMPLATE, {**p, **values}).fetchone()[0])
        batches.append(db.execute(GIFT_BATCH, {**p, "template": ids[-1], "price": price,
                                               "quantity": max(1, cards // 48)}).fetchone()[0]
                       if kind == "gift" else None)
    p.update(cards=ids, batches=batches, card_kinds=[t[0] for t in CARD_TEMPLATES],
             card_prices=[t[2] for t in CARD_TEMPLATES])


def _shop(app, count):
    """The merchant, its stores, the owner, three levels and four join codes, through the services."""
    from bench.verify import bench_shop
    from extensions import db
    from services.members import levels
    from services.merchant import stores
    from services.recruitment import sources

    with app.app_context():
        merchant, store, owner = bench_shop(db.session)
        store_list = [store] + [stores.create_store(db.session, merchant.id, f"门店{n}") for n in range(2, count + 1)]
        level_ids = [levels.save_level(db.session, owner, None, rank=rank, name=name, discount_percent=100).id
                     for rank, name in ((1, "普通"), (2, "银卡"), (3, "金卡"))]
        source_ids = [sources.for_store(db.session, store).id, sources.for_staff(db.session, owner).id,
                      sources.for_share(db.session, merchant.id, "moments").id,
                      sources.for_share(db.session, merchant.id, "poster").id]
        db.session.commit()
        shop = {"merchant": merchant.id, "stores": [s.id for s in store_list], "levels": level_ids,
                "sources": source_ids, "owner": owner.id}
        db.engine.dispose()
    return shop
