"""/metrics: closed to the public (404), open to loopback without a token and to the bearer of METRICS_TOKEN with
one; requests counted by endpoint name and status, jobs by queue, job and outcome, and the queues' depth and the
sends in progress read at scrape time; with PROMETHEUS_MULTIPROC_DIR, one process's scrape adds up every process."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from jobs import levels, worker
from jobs.base import enqueue
from models.sends import Send

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture()
def metrics_token(app):
    app.config["METRICS_TOKEN"] = "scrape-secret-0123456789"
    yield app.config["METRICS_TOKEN"]
    app.config["METRICS_TOKEN"] = ""


@pytest.fixture()
def with_redis(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    yield redis_url
    app.config["REDIS_URL"] = ""


def scrape(client, **kwargs):
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def sample(text, name, **labels):
    """The value of one series in the exposition, or None when it is absent."""
    for family in text_string_to_metric_families(text):
        for series in family.samples:
            if series.name == name and all(series.labels.get(k) == v for k, v in labels.items()):
                return series.value
    return None


def test_is_metrics_a_404_from_outside_without_a_token(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1


def test_does_a_token_open_metrics_from_anywhere_and_close_it_to_everyone_else(client, metrics_token):
    bearer = {"Authorization": f"Bearer {metrics_token}"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=bearer).status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": metrics_token}).status_code == 404
    assert client.get("/metrics").status_code == 404, "with a token set, loopback needs it too"


def test_is_a_request_counted_by_its_endpoint_name_and_status(client):
    before = sample(scrape(client), "http_requests_total", endpoint="ops.healthz", method="GET", status="200") or 0
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page")
    text = scrape(client)
    assert sample(text, "http_requests_total", endpoint="ops.healthz", method="GET", status="200") == before + 2
    assert sample(text, "http_request_duration_seconds_count", endpoint="ops.healthz", status="200") >= 2
    assert sample(text, "http_requests_total", endpoint="unmatched", status="404") >= 1
    assert "/no/such/page" not in text, "raw paths never become label values"


def test_does_an_odd_method_not_become_a_label_of_its_own(client):
    client.open("/healthz", method="BREW")
    text = scrape(client)
    assert 'method="BREW"' not in text and sample(text, "http_requests_total", method="other") >= 1


def test_are_queue_depths_and_sends_in_progress_read_at_scrape_time(client, db, make, with_redis):
    merchant = make.merchant()
    db.session.add_all([Send(merchant_id=merchant.id, title="春季", status="running"),
                        Send(merchant_id=merchant.id, title="夏季", status="waiting"),
                        Send(merchant_id=make.merchant().id, title="别家", status="running"),
                        Send(merchant_id=merchant.id, title="已完成", status="done")])
    enqueue(levels.reevaluate_levels, merchant.id)
    db.session.commit()
    text = scrape(client)
    assert sample(text, "job_queue_depth", queue="bulk") == 1
    assert sample(text, "job_queue_depth", queue="notices") == 0
    assert sample(text, "sends_in_progress", status="running") == 2
    assert sample(text, "sends_in_progress", status="waiting") == 1


def test_does_a_scrape_answer_without_queue_depths_when_redis_is_down(client, app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        text = scrape(client)
    finally:
        app.config["REDIS_URL"] = ""
    assert sample(text, "job_queue_depth", queue="bulk") is None
    assert sample(text, "sends_in_progress", status="running") == 0


def test_is_a_job_run_by_the_worker_counted_by_queue_job_and_outcome(client, db, make, with_redis):
    merchant = make.merchant()
    db.session.commit()
    labels = {"queue": "bulk", "job": levels.reevaluate_levels.job_name, "outcome": "ok"}
    before = sample(scrape(client), "jobs_total", **labels) or 0
    enqueue(levels.reevaluate_levels, merchant.id)
    db.session.commit()
    worker.run(with_redis, ("bulk",), burst=True)  # a forked horse per job, as in production
    assert Queue("bulk", connection=Redis.from_url(with_redis)).count == 0
    text = scrape(client)
    assert sample(text, "jobs_total", **labels) == before + 1
    assert sample(text, "job_duration_seconds_count", **labels) >= 1


ONE_PROCESS = """
import sys
from app import create_app
client = create_app().test_client()
for _ in range(int(sys.argv[1])):
    client.get("/healthz")
sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_does_a_scrape_add_up_every_process_when_metrics_are_shared(database_url, tmp_path):
    """Two gunicorn workers in miniature: each answers requests in its own process; either one's scrape counts all."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "APP_ENV": "test", "DATABASE_URL": database_url}
    root = Path(__file__).resolve().parents[3]

    def process(requests):
        return subprocess.run([sys.executable, "-c", ONE_PROCESS, str(requests)], cwd=root, env=env,
                              capture_output=True, text=True, check=True, timeout=120).stdout

    process(3)
    text = process(2)
    assert sample(text, "http_requests_total", endpoint="ops.healthz", method="GET", status="200") == 5
    assert sample(text, "http_requests_total", endpoint="ops.metrics", method="GET", status="200") == 1
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
