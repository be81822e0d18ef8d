"""Physical member card batches (制卡) of 10,000 and 50,000 cards with stripe numbers, barcodes and PINs, on PostgreSQL.

Run: .venv/bin/python bench/card_batch.py [--sizes 10000,50000]

Creates a throwaway database (BENCH_DATABASE_URL's server, default local PostgreSQL) and migrates it, makes one
merchant and its owner through the services, then for each size N, from an empty member_card_stock:

- baseline: a raw COPY of N rows of the same shape into the real member_card_stock table (its indexes, unique
  constraints and foreign keys), committed. The rows (numbers drawn by the product's own code, PINs encrypted) are
  made before the clock starts, so the figure is what PostgreSQL needs to take them; then the table is emptied;
- product: services.card_stock.batches.make_batch for the owner, committed; a batch above INLINE_MAX is queued and,
  with no Redis configured, the job (jobs/card_stock.py) runs in this process as the commit finishes, one committed
  chunk at a time as a worker runs it: fresh numbers checked against the stock, members' card numbers and gift
  cards, PINs encrypted, one INSERT per chunk. Checked afterwards: N cards, N distinct numbers.

Printed per size: seconds and microseconds per card for both, and the ratio product/COPY.
"""
import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.bulk_issue import bench_app  # noqa: E402
from bench.verify import bench_shop, migrated_database  # noqa: E402

COLUMNS = ("merchant_id", "batch_id", "card_no", "track_no", "barcode", "pin", "state", "created_at")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000", help="comma-separated batch sizes")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",") if s.strip()]
    print(f"card batch benchmark: sizes {', '.join(f'{n:,}' for n in sizes)}, stripe + barcode + PIN")
    with migrated_database("") as (url, _name, _env):
        app = bench_app(url, "")
        from extensions import db
        try:
            with app.app_context():
                merchant, _store, owner = bench_shop(db.session)
                db.session.commit()
                ids = merchant.id, owner.id
            for count in sizes:
                copy_seconds = copy_baseline(app, url, ids, count)
                product_seconds = product_run(app, url, ids, count)
                print(f"[{count:,}] COPY {copy_seconds:.2f} s ({copy_seconds / count * 1e6:.0f} µs/card)   "
                      f"product {product_seconds:.2f} s ({product_seconds / count * 1e6:.0f} µs/card)   "
                      f"ratio {product_seconds / copy_seconds:.2f}")
        finally:
            with app.app_context():
                db.engine.dispose()


def _empty(url):
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE member_card_stock")
        connection.execute("VACUUM ANALYZE member_card_stock")
        connection.execute("CHECKPOINT")


def copy_baseline(app, url, ids, count):
    """Seconds to COPY `count` cards of the product's shape into member_card_stock and commit; then emptied."""
    from domain.clock import now_utc
    from extensions import db
    from models import MemberCardBatch, MemberCardStock
    from services.card_stock import numbers

    merchant_id, owner_id = ids
    with app.app_context():
        batch = MemberCardBatch(merchant_id=merchant_id, name="COPY 基线", quantity=count, prefix="", with_track=True,
                                with_barcode=True, with_pin=True, created_by_id=owner_id, status="done", made=count)
        db.session.add(batch)
        rows = numbers.fresh_cards(db.session, merchant_id, count, prefix="", with_track=True, with_barcode=True,
                                   with_pin=True)
        db.session.commit()
        encrypt = MemberCardStock.__table__.c.pin.type.process_bind_param
        now = now_utc().isoformat()
        text = io.StringIO()
        for row in rows:
            values = (merchant_id, batch.id, row["card_no"], row["track_no"], row["barcode"],
                      encrypt(row["pin"], None), "made", now)
            text.write("\t".join(str(v) for v in values) + "\n")
        payload = text.getvalue().encode()
    with psycopg.connect(url) as connection:
        began = time.perf_counter()
        with connection.cursor().copy(f"COPY member_card_stock ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(payload)
        connection.commit()
        seconds = time.perf_counter() - began
    _empty(url)
    return seconds


def product_run(app, url, ids, count):
    """Seconds from asking for the batch to its last chunk committed, checked afterwards."""
    from extensions import db
    from models import Staff
    from services.card_stock import batches

    merchant_id, owner_id = ids
    with app.app_context():
        owner = db.session.get(Staff, owner_id)
        began = time.perf_counter()
        batch = batches.make_batch(db.session, owner, name=f"压测 {count}", quantity=count, with_track=True,
                                   with_barcode=True, with_pin=True)
        db.session.commit()  # with no Redis the app runs the queued job inline as the commit finishes
        seconds = time.perf_counter() - began
        batch_id = batch.id
    with psycopg.connect(url) as connection:
        made, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT card_no) FROM member_card_stock WHERE batch_id = %s AND merchant_id = %s",
            (batch_id, merchant_id)).fetchone()
    assert made == distinct == count, (made, distinct, count)
    _empty(url)
    return seconds


if __name__ == "__main__":
    main()
