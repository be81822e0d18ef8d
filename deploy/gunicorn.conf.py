"""gunicorn settings for production (`gunicorn --config deploy/gunicorn.conf.py wsgi:app`); each can be overridden by
the environment variable named beside it, or on the command line."""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))  # about one per core
worker_class = "gthread"
# Keep threads at or below the SQLAlchemy pool size (5 by default) so requests do not wait for connections.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 30  # behind a proxy that keeps connections open to us
timeout = 60
graceful_timeout = 30
# The application writes its own JSON lines (with the request id) to stderr; gunicorn's access log would repeat them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR, a worker that is gone must stop counting in the live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # only when metrics are shared across processes

        multiprocess.mark_process_dead(worker.pid)
