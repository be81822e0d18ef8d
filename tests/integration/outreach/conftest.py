"""Sends here are driven step by step by the tests (run.run_chunk, or the job function itself), at the times the
tests choose: a submit does not also start the job inline."""
import pytest

from services.outreach import run


@pytest.fixture(autouse=True)
def _sends_started_by_the_test(monkeypatch):
    started = []
    monkeypatch.setattr(run, "_start_job", lambda session, send_id: started.append(send_id))
    return started
