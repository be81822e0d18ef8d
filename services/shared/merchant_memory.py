"""A process's short memory of a merchant's till configuration (settings, 多倍积分日, 储值折上折 rules, ...).

Every payment at the till reads the same few rows of configuration that change a few times a year; asking the
database for them on every quote and every payment was a fifth of a checkout's statements. Each process keeps
what it read for SECONDS, as immutable values (never ORM rows, which belong to one session and one thread).
Any flush that adds, changes or deletes a watched row (`watch`) forgets that merchant's entry in this process at
once, whichever service or test wrote it; other processes (gunicorn workers) see the change within SECONDS, the
same delay as a revoked API key (services/merchant/api_keys.py).
"""
import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

SECONDS = 5.0
_LIMIT = 10_000  # entries per process before the expired ones are swept
_memory: dict = {}
_lock = threading.Lock()
_watched: dict = {}  # model class -> (the kinds its rows feed, the attribute naming their merchant)


def recall(kind, merchant_id, load):
    """The remembered value of `kind` for the merchant, or `load()`'s (remembered from now on)."""
    key = (kind, merchant_id)
    entry = _memory.get(key)
    moment = time.monotonic()
    if entry is not None and entry[0] > moment:
        return entry[1]
    value = load()
    with _lock:
        if len(_memory) >= _LIMIT:
            _sweep(moment)
        _memory[key] = (moment + SECONDS, value)
    return value


def forget(merchant_id, *kinds):
    """After a save: this process reads the merchant's configuration (or only `kinds`) afresh."""
    with _lock:
        for key in [k for k in _memory if k[1] == merchant_id and (not kinds or k[0] in kinds)]:
            _memory.pop(key, None)


def watch(model, *kinds, owner="merchant_id"):
    """Rows of `model` feed the remembered `kinds`: writing one forgets them for its merchant (`owner`: the
    attribute holding the merchant's id; the merchant row's own is `id`)."""
    _watched[model] = (_watched.get(model, ((), owner))[0] + kinds, owner)


@event.listens_for(Session, "after_flush")
def _forget_written(session, flush_context):
    if not _memory:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        watched = _watched.get(type(row))
        if watched:
            kinds, owner = watched
            forget(getattr(row, owner), *kinds)


def forget_all():
    """Between tests, whose merchants may reuse the ids of earlier ones."""
    with _lock:
        _memory.clear()


def _sweep(moment):
    for key, (expires, _) in list(_memory.items()):
        if expires <= moment:
            _memory.pop(key, None)
