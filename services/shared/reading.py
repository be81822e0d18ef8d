"""Where reports and exports read: a read-only replica when DATABASE_REPLICA_URL is set, else the primary.

Reports and exports only read, and on a busy merchant they read a lot (a month of verifications, every member of an
audience); a streaming replica takes that load off the primary. The replica's connections are opened read-only
(`default_transaction_read_only`), so a write that strays into a report fails instead of going to a server that
cannot keep it. With no replica configured the reports use the request's own session, exactly as before.

A replica lags the primary by a moment: what a report shows may miss the last second's writes. Nothing that decides
money or state (verification, payment, issuing) reads here.

Services never import Flask: the application installs the replica (or none) when it is created, and removes the
request's replica session when its app context ends (app.py).
"""
from sqlalchemy import create_engine, event
from sqlalchemy.orm import scoped_session, sessionmaker

_primary = None  # the application's scoped session (Flask-SQLAlchemy's db.session)
_replica_engine = None
_replica_sessions = None


def install(replica_url, primary, scopefunc=None, engine_options=None):
    """Called by the application factory. `primary` answers when no replica is configured; `scopefunc` scopes the
    replica session like the primary's (one per app context), so it lives as long as the request's."""
    global _primary, _replica_engine, _replica_sessions
    _dispose_replica()
    _primary = primary
    if replica_url:
        _replica_engine = read_only_engine(replica_url, **(engine_options or {}))
        _replica_sessions = scoped_session(sessionmaker(bind=_replica_engine, autoflush=False),
                                           scopefunc=scopefunc)


def read_only_engine(url, **options):
    """An engine whose every transaction is read-only: PostgreSQL refuses any write on it, SQLite too."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_query_only)
        return engine
    connect_args = dict(options.pop("connect_args", {}))
    connect_args["options"] = (connect_args.get("options", "") + " -c default_transaction_read_only=on").strip()
    return create_engine(url, connect_args=connect_args, **options)


def _sqlite_query_only(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def session():
    """The session reports and exports read through: the replica's when one is configured, else the primary's."""
    if _replica_sessions is not None:
        return _replica_sessions()
    if _primary is None:
        raise RuntimeError("no application is installed: services run inside create_app()'s application")
    return _primary()


def uses_replica():
    return _replica_sessions is not None


def replica_engine():
    """The replica's engine (None without one): /readyz-style checks and tests look at it."""
    return _replica_engine


def remove():
    """End the replica session of this scope (the app context's teardown): its connection goes back to the pool."""
    if _replica_sessions is not None:
        _replica_sessions.remove()


def _dispose_replica():
    global _replica_engine, _replica_sessions
    if _replica_sessions is not None:
        _replica_sessions.remove()
    if _replica_engine is not None:
        _replica_engine.dispose()
    _replica_engine = _replica_sessions = None
