"""Writing the daily rollups: rebuild a day from the raw tables, or add one payment's figures to its day.

Rebuild and add may meet on today. Rebuilds of one day wait for each other on an advisory lock; a rebuild and the
payments lock the rows they share in one order (store, key byte by byte, part), so they never deadlock. A payment adding
to today while a rebuild runs is never lost nor counted twice (PostgreSQL, READ COMMITTED): if the payment's row
is committed before the rebuild's INSERT … SELECT starts, the rebuild's DELETE waited for it and the SELECT sees
it; if not, the SELECT does not see its raw row, and the rebuild's insert adds to the payment's rollup row (ON
CONFLICT adds) or the payment's later insert adds to the rebuild's.
"""
import time
from datetime import timedelta

from sqlalchemy import Date, Integer, String, delete, func, literal, literal_column, select, text

from domain.clock import local_midnight_utc, now_utc, to_local
from models.reports import ReportBuiltDay, ReportDaily
from services.reports import families
from services.shared import advisory_locks, direct_sql
from services.shared.insert_once import dialect_insert

KEY_COLUMNS = ["merchant_id", "family", "day", "store_id", "key", "part"]
PARTS = 8  # rows a payment's figure is spread over (by the payment's id): concurrent tills rarely meet on one
NO_STORE = 0


def day_window(day, tz_name):
    """[start, end) in UTC of the merchant's local `day`."""
    return local_midnight_utc(day, tz_name), local_midnight_utc(day + timedelta(days=1), tz_name)


def day_of(moment, tz_name):
    return to_local(moment, tz_name).date()


def rebuild_day(session, merchant_id, tz_name, fam, day, now=None):
    """Replace the family's rows of `day` with the sums of its raw rows, and record when."""
    advisory_locks.hold(session, f"report:{merchant_id}:{fam.name}:{day.isoformat()}")
    of_the_day = (ReportDaily.merchant_id == merchant_id, ReportDaily.family == fam.name, ReportDaily.day == day)
    if session.get_bind().dialect.name == "postgresql":  # lock in the payments' order before deleting
        # JIT compiling took 300 ms of a 90 ms day: the planner guesses 100 rows per JSON array (a checkout's
        # steps) and crosses the JIT threshold. Off for this transaction only.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(select(ReportDaily.key).where(*of_the_day)
                        .order_by(ReportDaily.store_id, _bytewise(session, ReportDaily.key), ReportDaily.part)
                        .with_for_update())
    session.execute(delete(ReportDaily).where(*of_the_day))
    start, end = day_window(day, tz_name)
    rows = fam.day_rows(families.window(session, merchant_id, start, end)).subquery()
    store = func.coalesce(rows.c.store_id, literal_column(str(NO_STORE)))  # one text in SELECT and GROUP BY
    summed = (select(literal(merchant_id, Integer), literal(fam.name, String), literal(day, Date), store, rows.c.key,
                     literal_column("0"), func.sum(rows.c.count), func.sum(rows.c.amount))
              .group_by(store, rows.c.key).order_by(store, _bytewise(session, rows.c.key)))
    insert = dialect_insert(session)(ReportDaily).from_select(KEY_COLUMNS + ["count", "amount"], summed)
    session.execute(_adding_on_conflict(insert))
    _mark_built(session, merchant_id, fam.name, day, now or now_utc())


def add(session, merchant_id, tz_name, family_name, moment, store_id, figures, spread_by=0):
    """Add {key: (count, amount)} to the day of `moment`, in the caller's transaction (an incremental family), in
    one statement with the keys in byte order, so two payments lock shared rows in the same order. On PostgreSQL
    it is the till's kind of statement (services/shared/direct_sql.py): compiled once, the keys sent as arrays.
    `spread_by` (the payment's id) picks the part its figures go to."""
    day = day_of(moment, tz_name)
    kept = [(key, count, amount) for key, (count, amount) in sorted(figures.items()) if count or amount]
    if not kept:
        return
    keys, counts, amounts = (list(column) for column in zip(*kept))
    store_id, part = store_id or NO_STORE, spread_by % PARTS
    if session.get_bind().dialect.name == "postgresql":
        direct_sql.rows(session.connection(), _ADD_ARRAYS, {
            "merchant_id": merchant_id, "family": family_name, "day": day, "store_id": store_id, "part": part,
            "keys": keys, "counts": counts, "amounts": amounts})
        return
    rows = [dict(merchant_id=merchant_id, family=family_name, day=day, store_id=store_id, key=key, part=part,
                 count=count, amount=amount) for key, count, amount in kept]
    session.connection().execute(_adding_on_conflict(dialect_insert(session)(ReportDaily.__table__)), rows)


_ADD_ARRAYS = text(
    "INSERT INTO report_daily (merchant_id, family, day, store_id, key, part, count, amount)"
    " SELECT :merchant_id, :family, :day, :store_id, k, :part, c, a"
    " FROM unnest(CAST(:keys AS varchar[]), CAST(:counts AS bigint[]), CAST(:amounts AS bigint[])) AS t(k, c, a)"
    ' ORDER BY k COLLATE "C"'
    " ON CONFLICT (merchant_id, family, day, store_id, key, part)"
    " DO UPDATE SET count = report_daily.count + excluded.count, amount = report_daily.amount + excluded.amount")


def built_days(session, merchant_id, family_name, first, last):
    """{day: built_at} of the family's days in [first, last] that have been rebuilt."""
    return dict(session.execute(
        select(ReportBuiltDay.day, ReportBuiltDay.built_at)
        .where(ReportBuiltDay.merchant_id == merchant_id, ReportBuiltDay.family == family_name,
               ReportBuiltDay.day >= first, ReportBuiltDay.day <= last)).all())


def ensure_built(session, merchant_id, tz_name, fam, first, last, now=None, deadline=None):
    """Rebuild each day of [first, last] not built yet, newest first, until `deadline` (time.monotonic()) passes;
    returns the days left unbuilt (none without a deadline)."""
    built = built_days(session, merchant_id, fam.name, first, last)
    missing = [last - timedelta(days=n) for n in range((last - first).days + 1)]
    missing = [day for day in missing if day not in built]
    for index, day in enumerate(missing):
        if deadline is not None and time.monotonic() > deadline:
            return missing[index:]
        rebuild_day(session, merchant_id, tz_name, fam, day, now)
    return []


def _bytewise(session, key):
    """Keys ordered as Python's sorted() orders them (`add`), so rebuild and payments lock rows in one order."""
    return key.collate("C") if session.get_bind().dialect.name == "postgresql" else key


def _adding_on_conflict(insert):
    return insert.on_conflict_do_update(
        index_elements=KEY_COLUMNS,
        set_={"count": ReportDaily.count + insert.excluded["count"],
              "amount": ReportDaily.amount + insert.excluded.amount})


def _mark_built(session, merchant_id, family_name, day, now):
    insert = dialect_insert(session)(ReportBuiltDay).values(merchant_id=merchant_id, family=family_name, day=day,
                                                            built_at=now)
    session.execute(insert.on_conflict_do_update(index_elements=["merchant_id", "family", "day"],
                                                 set_={"built_at": insert.excluded.built_at}))


def days_due(session, merchant_id, tz_name, fam, today, back_days, grace, now=None):
    """Closed days of the last `back_days` never built, or built before the day had ended (+ `grace`, for the
    payments still committing at midnight): the nightly job rebuilds them, so their figures are final."""
    now = now or now_utc()
    first, last = today - timedelta(days=back_days), today - timedelta(days=1)
    built = built_days(session, merchant_id, fam.name, first, last)
    due = []
    for n in range(back_days):
        day = first + timedelta(days=n)
        closed_at = day_window(day, tz_name)[1] + grace
        if closed_at <= now and (day not in built or built[day] < closed_at):
            due.append(day)
    return due
