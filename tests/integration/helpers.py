"""Run the same operation from many threads, each with its own app context, session and commit."""
import threading

from domain.errors import DomainError
from extensions import db
from tests.connection_budget import many_connections


def run_concurrently(app, count, operation):
    """Start `count` threads at once; each runs operation(session, index) and commits.

    Returns (results, errors): what succeeded and the DomainErrors raised. Anything else fails the test.
    """
    barrier = threading.Barrier(count)
    results, errors, crashes = [], [], []
    lock = threading.Lock()

    def worker(index):
        with app.app_context():
            barrier.wait()
            try:
                value = operation(db.session, index)
                db.session.commit()
                with lock:
                    results.append(value)
            except DomainError as exc:
                db.session.rollback()
                with lock:
                    errors.append(exc)
            except Exception as exc:  # noqa: BLE001 - reported to the test below
                db.session.rollback()
                with lock:
                    crashes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    with many_connections(app, count):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    if crashes:
        raise crashes[0]
    return results, errors
