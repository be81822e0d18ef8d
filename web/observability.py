"""What an operator sees of the running app: a request id on every request and every log line, the logs themselves
(JSON lines or plain text on stderr), and the request and job metrics that ops/metrics.py serves at /metrics.

- Request id: the caller's `X-Request-ID` when it is a sane token (at most 64 of [A-Za-z0-9._-]: it ends up in log
  lines and headers, so nothing else is taken), else a fresh one; echoed in the response. A job enqueued by the
  request carries it in its RQ meta (jobs/dispatch.py) and logs it next to its own job id, and so do the jobs
  that job enqueues.
- Logs: the root logger gets one handler on stderr; LOG_FORMAT=json (production's default) writes one JSON object
  a line with time, level, logger, message, request_id and, when known, job_id and the merchant. With LOG_REQUESTS
  each request adds one line with its method, path, endpoint, status and milliseconds.
- Metrics: counters and histograms of prometheus_client, labelled by the route's endpoint name (never the raw
  path: /h5/<slug>/... would make a series per merchant and per id) and the status. With PROMETHEUS_MULTIPROC_DIR
  set in the environment before the process starts, prometheus_client keeps them in files that every gunicorn
  worker and every job worker on the host shares, and /metrics adds them up.
"""
import logging
import re
import sys
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

import orjson
from flask import current_app, g, has_request_context, request
from prometheus_client import Counter, Histogram, disable_created_metrics
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# (job id, request id of the request that enqueued it) while a job runs, in a worker or inline.
_running_job = ContextVar("running_job", default=None)
access_log = logging.getLogger("web.access")
disable_created_metrics()  # a `_created` series beside every counter doubles the scrape and no dashboard reads it

REQUESTS = Counter("http_requests_total", "Requests answered, by route endpoint, method and status",
                   ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram("http_request_duration_seconds", "Seconds from the request's arrival to its answer",
                            ["endpoint", "method", "status"])
JOBS = Counter("jobs_total", "Jobs run, by queue, job and outcome (ok, failed, retrying)", ["queue", "job", "outcome"])
JOB_SECONDS = Histogram("job_duration_seconds", "Seconds a job ran, by queue, job and outcome",
                        ["queue", "job", "outcome"], buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))


def install(app):
    """Before the other hooks, so a request refused by one of them still has its id, its metrics and its log line."""
    configure_logging(app.config)
    app.before_request(_start_request)
    app.after_request(_finish_request)


# --- request id -------------------------------------------------------------------------------------------------

def _start_request():
    g.request_id = _sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _sane_request_id(value):
    return value if value and _SANE_REQUEST_ID.fullmatch(value) else None


def current_request_id():
    """The id of the request being answered, or, in a job, of the request that enqueued it (None for a job the
    scheduler started)."""
    running = _running_job.get()
    if running is not None:
        return running[1]
    if has_request_context():
        return g.get("request_id")
    return None


@contextmanager
def job_context(job_id, request_id):
    """While a job runs: its log lines carry its id and its request's id, and the jobs it enqueues that request id."""
    token = _running_job.set((job_id, request_id))
    try:
        yield
    finally:
        _running_job.reset(token)


# --- request metrics and log line -------------------------------------------------------------------------------

def _finish_request(response):
    started = g.pop("request_started", None)
    if started is None:
        return response  # already counted: a failing commit sends the request through the hooks a second time
    seconds = time.perf_counter() - started
    response.headers[REQUEST_ID_HEADER] = g.request_id
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    # A client may send any method name; only the known ones become a label value.
    method = request.method if request.method in _KNOWN_METHODS else "other"
    status = str(response.status_code)
    REQUESTS.labels(endpoint, method, status).inc()
    REQUEST_SECONDS.labels(endpoint, method, status).observe(seconds)
    if current_app.config.get("LOG_REQUESTS") and access_log.isEnabledFor(logging.INFO):
        access_log.info("%s %s %s %.1f ms", method, request.path, status, seconds * 1000, extra={
            "method": method, "path": request.path, "endpoint": endpoint, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1)})
    return response


def record_job(queue, job_name, outcome, seconds):
    JOBS.labels(queue, job_name, outcome).inc()
    JOB_SECONDS.labels(queue, job_name, outcome).observe(seconds)


# --- logs -------------------------------------------------------------------------------------------------------

class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test runner swaps it between tests)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


class ContextFilter(logging.Filter):
    """Puts the request id, the job id and the merchant on every record the handler writes."""

    def filter(self, record):
        running = _running_job.get()
        record.request_id = current_request_id()
        record.job_id = running[0] if running is not None else None
        record.merchant = _merchant_of_request() if running is None and has_request_context() else None
        return True


def _merchant_of_request():
    """The merchant the request acts for, when a blueprint already knows it: read from what is loaded, never by a
    query (a log line must not touch a session that may be committed or gone)."""
    if "log_merchant" in g:
        return g.log_merchant
    merchant = g.get("merchant")
    if merchant is not None:
        return _loaded(merchant, "slug")
    for holder in (g.get("api_key"), g.get("_login_user")):
        merchant_id = _loaded(holder, "merchant_id") if holder is not None else None
        if merchant_id is not None:
            return merchant_id
    return None


@event.listens_for(Session, "before_commit")
def _remember_merchant_before_commit(session):
    """The request's commit expires what it loaded, and the request's last log line comes after it."""
    if has_request_context() and "log_merchant" not in g:
        merchant = _merchant_of_request()
        if merchant is not None:
            g.log_merchant = merchant


def _loaded(instance, attribute):
    try:
        return inspect(instance).dict.get(attribute)
    except Exception:  # noqa: BLE001 - not a mapped instance (an anonymous user): nothing to say
        return None


_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "job_id", "merchant"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a record's `extra` fields become keys of their own."""

    def format(self, record):
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", None)}
        for key in ("job_id", "merchant"):
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        entry.update((key, value) for key, value in vars(record).items() if key not in _RECORD_FIELDS)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """For a person at a terminal: time, level, logger, the ids in brackets, the message."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(ids)s%(message)s")

    def format(self, record):
        ids = [f"{key}={getattr(record, key)}" for key in ("request_id", "job_id", "merchant")
               if getattr(record, key, None) is not None]
        record.ids = f"[{' '.join(ids)}] " if ids else ""
        return super().format(record)


def configure_logging(config):
    """One handler on the root logger (replacing the one an earlier application of this process installed)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "is_ours", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.is_ours = True
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if config.get("LOG_FORMAT") == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
