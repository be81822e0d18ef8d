"""GET /metrics in Prometheus' text format, for the operator's scraper only.

Who may read it: with METRICS_TOKEN set, a request carrying `Authorization: Bearer <METRICS_TOKEN>`; without it,
a request from a loopback address (the scraper on the same host; behind a proxy the address is the one PROXY_HOPS
trusts). Anyone else gets the same 404 as for a page that does not exist.

What it holds: the request and job metrics of web/observability.py (added up across processes when
PROMETHEUS_MULTIPROC_DIR is set, see there), and two figures read at scrape time: the jobs waiting on each RQ
queue, and the outreach sends running or waiting to resume, across every merchant (an operator's figure).
"""
import hmac
import logging
import os
from ipaddress import ip_address

from flask import abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.core import GaugeMetricFamily
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from extensions import db
from jobs.base import QUEUES
from models.sends import Send
from web.requests import client_ip

log = logging.getLogger(__name__)
# A send that has started and not ended: running now, or waiting for quiet hours or WeChat's quota to pass.
SEND_STATES_IN_PROGRESS = ("running", "waiting")


def serve():
    if not _may_read():
        abort(404)
    body = generate_latest(_process_metrics()) + generate_latest(_scrape_time_figures())
    # The classic text format's type: every Prometheus version reads it (our names need nothing newer).
    return current_app.response_class(body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def _may_read():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    try:
        return ip_address(client_ip() or "").is_loopback
    except ValueError:
        return False


def _process_metrics():
    """This process's registry, or every process's files when prometheus_client runs in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _scrape_time_figures():
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_LiveFigures(_queue_depths(), _sends_in_progress()))
    return registry


class _LiveFigures:
    """A collector of figures already read for this scrape."""

    def __init__(self, queue_depths, sends_by_state):
        self.queue_depths, self.sends_by_state = queue_depths, sends_by_state

    def collect(self):
        if self.queue_depths is not None:
            depth = GaugeMetricFamily("job_queue_depth", "Jobs waiting on each RQ queue", labels=["queue"])
            for queue, count in self.queue_depths.items():
                depth.add_metric([queue], count)
            yield depth
        if self.sends_by_state is not None:
            sends = GaugeMetricFamily("sends_in_progress", "Outreach sends started and not ended, across merchants",
                                      labels=["status"])
            for status in SEND_STATES_IN_PROGRESS:
                sends.add_metric([status], self.sends_by_state.get(status, 0))
            yield sends


def _queue_depths():
    """{queue: jobs waiting}; {} without Redis (jobs run inline); None when Redis does not answer, so the series
    goes missing (which an alert on absent() catches) rather than reading as an empty queue."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {}
    try:
        connection = _redis(url)
        with connection.pipeline(transaction=False) as pipeline:
            for queue in QUEUES:
                pipeline.llen(Queue(queue, connection=connection).key)  # Queue.count, one round trip for all
            return dict(zip(QUEUES, pipeline.execute()))
    except Exception as exc:  # noqa: BLE001 - a scrape answers with what it has
        log.warning("queue depths unavailable: %s", type(exc).__name__)
        return None


def _redis(url):
    """Short timeouts: a scrape must not hang on an unreachable Redis."""
    connections = current_app.extensions.setdefault("metrics_redis", {})
    if url not in connections:
        connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return connections[url]


def _sends_in_progress():
    """{status: sends}; None when the database does not answer (the series goes missing, as for the queues)."""
    # Across merchants on purpose: this is the operator's view of the whole installation, never shown to a merchant.
    try:
        rows = db.session.execute(select(Send.status, func.count())
                                  .where(Send.status.in_(SEND_STATES_IN_PROGRESS)).group_by(Send.status))
        return dict(rows.all())
    except Exception as exc:  # noqa: BLE001 - a scrape answers with what it has
        db.session.rollback()
        log.warning("sends in progress unavailable: %s", type(exc).__name__)
        return None
