"""The registry of report families. A family is a name and a function that, for one merchant and one day's UTC
window (a `Window`), returns a SELECT of (store_id, key, count, amount) rows: set-based, on indexes that start with merchant_id
and the row's time, so rebuilding a day reads that day only. Several rows may share a (store_id, key): they are
summed when written.

incremental: each write of the family's raw rows also adds to today's rollup (rollups.add), so today is read from
the rollups; otherwise today is summed live by the same query.
snapshot: the figures describe the state at the end of the day (members on the books, balances outstanding):
built for closed days only, never summed across days.
"""
from dataclasses import dataclass
from typing import Callable

FAMILIES = {}


@dataclass(frozen=True)
class Window:
    """One merchant's day: [start, end) in UTC, and the database's dialect name for the few SQL functions that
    differ (JSON arrays)."""
    merchant_id: int
    start: object
    end: object
    dialect: str


def window(session, merchant_id, start, end):
    return Window(merchant_id, start, end, session.get_bind().dialect.name)


@dataclass(frozen=True)
class Family:
    name: str
    day_rows: Callable  # (Window) -> Select of store_id, key, count, amount
    incremental: bool = False
    snapshot: bool = False


def register(name, *, incremental=False, snapshot=False):
    """Decorator: the function becomes the day query of a family called `name` (at most 16 characters)."""
    if len(name) > 16:
        raise ValueError(f"report family name too long: {name}")

    def decorate(day_rows):
        FAMILIES[name] = Family(name, day_rows, incremental, snapshot)
        return day_rows

    return decorate
