"""PostgreSQL allows 100 connections to everyone (max_connections), and `make test` runs the suite on several
processes, each with its own database and connection pool. A test that opens dozens of connections at once (threads
racing for a code, fifty HTTP requests at the served app) takes this machine-wide lock first, so two such tests
never run at the same moment; the connections it opened beyond the pool's ten close as they come back, so they do
not stay counted against the others. One process alone (no workers) needs no lock."""
import contextlib
import fcntl
import os
import tempfile

THRESHOLD = 8  # threads: below this a test's connections fit beside the other workers'


@contextlib.contextmanager
def many_connections(app=None, count=THRESHOLD):
    """Hold the lock while `count` threads run (nothing below THRESHOLD). `app` is not used: the pool closes the
    connections beyond its ten idle ones as they come back (tests/conftest.py)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None or count < THRESHOLD:
        yield
        return
    path = os.path.join(tempfile.gettempdir(), f"mc-tests-{run}.connections.lock")
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

