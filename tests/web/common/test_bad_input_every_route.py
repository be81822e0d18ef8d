"""Every GET page and every form of the back office, the staff page, the member pages and the API, sent what a
fuzzer sends: NUL bytes and other control characters, ids and numbers beyond the columns' range, 10,000-character
strings and emoji, on PostgreSQL. Nothing answers 500; control characters and out-of-range ids are refused at the
boundary (web/input_guard.py) with a clear message. The test walks the URL map, so a route added later is covered."""
import re

import pytest

from domain import roles

PREFIXES = ("/backoffice/", "/staff/", "/h5/", "/api/")
HUGE = "99999999999999999999"
BEYOND_INT = "2147483648"
FUZZ = {"q": "a\x00b", "store_id": HUGE, "cursor": BEYOND_INT, "page": HUGE, "member_id": BEYOND_INT,
        "name": "名" * 10_000, "title": "😀" * 500, "from": "2026-13-45", "to": "", "note": "a\x00b"}


def _paths(app, methods):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES) or not (rule.methods & methods):
            continue
        values = {name: (1 if rule._converters[name].__class__.__name__ == "BoundedInt" else "x")
                  for name in rule.arguments}
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
        yield rule, path


@pytest.fixture()
def signed_in(make, db, login):
    merchant = make.merchant(name="模糊测试店")
    owner = make.staff(merchant, role=roles.OWNER, username="fuzzboss")
    make.store(merchant)
    db.session.commit()
    login(owner)
    return merchant


def test_does_no_get_page_answer_500_to_fuzzed_query_strings(app, client, signed_in):
    failures = []
    for rule, path in _paths(app, {"GET"}):
        answer = client.get(path, query_string=FUZZ)
        if answer.status_code >= 500:
            failures.append((rule.rule, answer.status_code))
    assert failures == []


def test_does_no_form_answer_500_to_fuzzed_fields(app, client, signed_in):
    failures = []  # (the tests' configuration has CSRF off, so each form's own checks are reached)
    for rule, path in _paths(app, {"POST"}):
        for body in ({k: v for k, v in FUZZ.items() if k != "q"}, {"name": "ok", "amount": HUGE, "id": HUGE}):
            answer = client.post(path, data=body)
            if answer.status_code >= 500:
                failures.append((rule.rule, answer.status_code))
    assert failures == []


def test_are_control_characters_and_out_of_range_ids_refused_at_the_boundary(client, signed_in):
    nul = client.get("/backoffice/members", query_string={"q": "a\x00b"})
    assert nul.status_code == 400 and "控制字符" in nul.get_data(as_text=True)
    beyond = client.get("/backoffice/verifications", query_string={"store_id": "99999999999"})
    assert beyond.status_code == 404
    assert client.get(f"/backoffice/members/{BEYOND_INT}").status_code == 404
    api = client.post("/api/v1/checkout/pay", json={"note": "a\x00b"})
    assert api.status_code == 422 and "控制字符" in api.get_data(as_text=True)  # the API's validation status
    logged_out = client.application.test_client().get("/backoffice/login", query_string={"merchant": "a\x00b"})
    assert logged_out.status_code == 400
