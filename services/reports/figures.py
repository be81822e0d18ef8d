"""Reading a family's figures over a date range, grouped by day, by store, or both.

Closed days come from the rollups (built first if nobody has: for a few seconds at most; the days still unbuilt
then are left to a job, and `unbuilt()` says which, so the page can say its figures are still being counted). Today comes from the rollups for an incremental
family (built from the raw rows first if it was not yet today), from the family's live query otherwise, and not at
all for a snapshot family (its figures describe a day's end). The caller commits: building days writes rows.
"""
import contextvars
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from domain.clock import local_today
from models.reports import ReportDaily
from services.reports import catalogue, families, rollups
from services.shared import job_queue

BUILD_SECONDS = 3.0  # a page builds missing days for this long; a job builds the rest
BUILD_JOB = "jobs.reports.rebuild_report_days"
_UNBUILT = contextvars.ContextVar("report_days_unbuilt", default=None)
GROUPINGS = {"day": ("day",), "store": ("store_id",), "day_store": ("day", "store_id"), "total": ()}


@dataclass
class Figure:
    count: int = 0
    amount: int = 0

    def add(self, count, amount):
        self.count += int(count or 0)
        self.amount += int(amount or 0)


def read(session, merchant, family_name, first, last, *, store_id=None, group="day", now=None):
    """{group value: {key: Figure}}; the group value is the day, the store id (0 = no store), (day, store id) or
    None for "total". `store_id` limits every figure to one store."""
    fam = catalogue.family(family_name)
    tz_name = merchant.timezone
    today = local_today(tz_name, now)
    last = min(last, today)
    closed_last = min(last, today - timedelta(days=1))
    if first <= closed_last:
        left = rollups.ensure_built(session, merchant.id, tz_name, fam, first, closed_last, now,
                                    deadline=time.monotonic() + BUILD_SECONDS)
        if left:
            _counted_unbuilt().update((fam.name, day) for day in left)
            job_queue.enqueue(session, BUILD_JOB, merchant.id, fam.name, min(left).isoformat(),
                              max(left).isoformat())
    stored_last = closed_last
    if last == today and fam.incremental:
        rollups.ensure_built(session, merchant.id, tz_name, fam, today, today, now)
        stored_last = today
    table = defaultdict(lambda: defaultdict(Figure))
    if first <= stored_last:
        _from_rollups(session, table, merchant.id, fam.name, first, stored_last, store_id, GROUPINGS[group])
    if last == today and not fam.incremental and not fam.snapshot:
        _live_today(session, table, merchant, fam, today, store_id, group)
    return table


def start_counting_unbuilt():
    """A new page's reads begin: forget the days earlier reads left unbuilt (one context per request or thread)."""
    _UNBUILT.set(set())


def unbuilt():
    """{(family, day)} the reads since start_counting_unbuilt() could not build in time (a job is building them)."""
    return _counted_unbuilt()


def _counted_unbuilt():
    counted = _UNBUILT.get()
    if counted is None:
        counted = set()
        _UNBUILT.set(counted)
    return counted


def totals(table):
    """{key: Figure} summed over every group."""
    summed = defaultdict(Figure)
    for figures in table.values():
        for key, figure in figures.items():
            summed[key].add(figure.count, figure.amount)
    return summed


def _from_rollups(session, table, merchant_id, family_name, first, last, store_id, grouping):
    columns = [getattr(ReportDaily, name) for name in grouping]
    statement = (select(*columns, ReportDaily.key, func.sum(ReportDaily.count), func.sum(ReportDaily.amount))
                 .where(ReportDaily.merchant_id == merchant_id, ReportDaily.family == family_name,
                        ReportDaily.day >= first, ReportDaily.day <= last)
                 .group_by(*columns, ReportDaily.key))
    if store_id is not None:
        statement = statement.where(ReportDaily.store_id == store_id)
    for row in session.execute(statement):
        group_value = tuple(row[:len(columns)])
        key, count, amount = row[len(columns):]
        table[_group_key(group_value)][key].add(count, amount)


def _live_today(session, table, merchant, fam, today, store_id, group):
    start, end = rollups.day_window(today, merchant.timezone)
    rows = session.execute(fam.day_rows(families.window(session, merchant.id, start, end)))
    for row_store, key, count, amount in rows:
        row_store = row_store or rollups.NO_STORE
        if store_id is not None and row_store != store_id:
            continue
        group_value = {"day": (today,), "store": (row_store,), "day_store": (today, row_store), "total": ()}[group]
        table[_group_key(group_value)][key].add(count, amount)


def _group_key(values):
    if not values:
        return None
    return values[0] if len(values) == 1 else values
