"""Reading a family's figures over a date range, grouped by day, by store, or both.

Closed days come from the rollups (built first if nobody has). Today comes from the rollups for an incremental
family (built from the raw rows first if it was not yet today), from the family's live query otherwise, and not at
all for a snapshot family (its figures describe a day's end). The caller commits: building days writes rows.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from domain.clock import local_today
from models.reports import ReportDaily
from services.reports import catalogue, families, rollups

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
        rollups.ensure_built(session, merchant.id, tz_name, fam, first, closed_last, now)
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
