"""Structured logs: a request id on every request (the caller's X-Request-ID when sane, else a new one), echoed in
the response and written on each JSON log line; a job enqueued by a request logs that request's id beside its own
job id, on an RQ worker and inline."""
import functools
import json
import logging
import re

import pytest
from redis import Redis
from rq import Queue

from jobs import levels, worker
from jobs.base import REGISTRY
from web import observability

LEVEL_FORM = {"rank": "4", "name": "钻石卡", "min_spend": "10000", "discount": "8.5", "multiplier": "2"}


@pytest.fixture()
def json_logs(app):
    """The app logging as in production (JSON lines, a line a request) for one test."""
    app.config.update(LOG_FORMAT="json", LOG_REQUESTS=True)
    observability.configure_logging(app.config)
    yield
    app.config.update(LOG_FORMAT="text", LOG_REQUESTS=False)
    observability.configure_logging(app.config)


@pytest.fixture()
def noting_job(monkeypatch):
    """The level re-evaluation job, saying a line from inside the job as it runs."""
    name = levels.reevaluate_levels.job_name
    original = REGISTRY[name]

    @functools.wraps(original)
    def noting(session, *args):
        logging.getLogger("tests.job").info("re-evaluating levels")
        return original(session, *args)

    monkeypatch.setitem(REGISTRY, name, noting)
    return name


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_does_a_log_line_carry_the_request_id_the_caller_sent(client, json_logs, capsys):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42_x"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.42_x"
    [line] = [entry for entry in json_lines(capsys.readouterr().err) if entry.get("path") == "/healthz"]
    assert line["request_id"] == "edge-7f3a.42_x"
    assert (line["logger"], line["level"], line["status"], line["endpoint"]) == ("web.access", "INFO", 200,
                                                                                 "ops.healthz")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "has space", "tab\there", "<script>", "a\"b", "café"])
def test_is_a_missing_or_odd_request_id_replaced_by_a_new_one(client, json_logs, capsys, sent):
    raw = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}  # the header as a server hands it over, unchecked
    made = client.get("/healthz", environ_base=raw).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    [line] = [entry for entry in json_lines(capsys.readouterr().err) if entry.get("path") == "/healthz"]
    assert line["request_id"] == made


def test_does_a_line_logged_inside_a_view_name_the_merchant(as_owner, merchant, json_logs, capsys):
    as_owner.get("/backoffice/levels", headers={"X-Request-ID": "bo-1"})
    [line] = [entry for entry in json_lines(capsys.readouterr().err) if entry.get("request_id") == "bo-1"]
    assert line["merchant"] == merchant.id


def test_does_a_job_on_a_worker_log_the_id_of_the_request_that_enqueued_it(
        app, as_owner, redis_url, json_logs, noting_job, capfd):
    app.config["REDIS_URL"] = redis_url
    try:
        response = as_owner.post("/backoffice/levels/new", data=LEVEL_FORM, headers={"X-Request-ID": "req-levels-1"})
        assert response.status_code == 302
        [job_id] = Queue("bulk", connection=Redis.from_url(redis_url)).job_ids
        worker.run(redis_url, ("bulk",), burst=True)  # the job runs in a forked work horse, as in production
    finally:
        app.config["REDIS_URL"] = ""
    lines = json_lines(capfd.readouterr().err)
    [in_job] = [entry for entry in lines if entry["message"] == "re-evaluating levels"]
    assert (in_job["request_id"], in_job["job_id"]) == ("req-levels-1", job_id)
    [job_ok] = [entry for entry in lines if entry["message"] == f"bulk: Job OK ({job_id})"]  # RQ's own line
    assert (job_ok["request_id"], job_ok["job_id"]) == ("req-levels-1", job_id)


def test_does_an_inline_job_log_the_id_of_the_request_that_ran_it(as_owner, json_logs, noting_job, capsys):
    as_owner.post("/backoffice/levels/new", data=LEVEL_FORM, headers={"X-Request-ID": "req-inline-2"})
    [in_job] = [entry for entry in json_lines(capsys.readouterr().err) if entry["message"] == "re-evaluating levels"]
    assert in_job["request_id"] == "req-inline-2" and in_job["job_id"].startswith("inline-")


def test_are_text_logs_plain_lines_with_the_ids(client, capsys, app):
    app.config["LOG_REQUESTS"] = True
    try:
        client.get("/healthz", headers={"X-Request-ID": "plain-1"})
    finally:
        app.config["LOG_REQUESTS"] = False
    [line] = [text for text in capsys.readouterr().err.splitlines() if "/healthz" in text]
    assert not line.startswith("{") and "INFO web.access [request_id=plain-1] GET /healthz 200" in line
