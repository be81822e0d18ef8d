import dataclasses
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

from flask import jsonify, render_template_string
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from web.json_provider import OrjsonProvider


@dataclasses.dataclass
class Line:
    title: str
    amount: int


SAMPLE = {
    "z": 1, "a": "满50减10 会员", "when": datetime(2026, 11, 24, 8, 30, tzinfo=timezone.utc), "day": date(2026, 1, 2),
    "ratio": Decimal("0.85"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "line": Line("咖啡", 1800),
    "html": Markup("<b>券</b>"), "nested": [{"b": 2, "a": None, "c": [True, 1.5]}],
}


def test_does_the_app_answer_the_same_json_documents_as_flasks_own_provider(app):
    assert isinstance(app.json, OrjsonProvider)
    flask_own = DefaultJSONProvider(app)
    assert json.loads(app.json.dumps(SAMPLE)) == json.loads(flask_own.dumps(SAMPLE))
    with app.test_request_context():
        body = jsonify(SAMPLE).get_data()
    assert json.loads(body) == json.loads(flask_own.dumps(SAMPLE))
    assert body.endswith(b"\n") and "满50减10".encode() in body  # UTF-8, not \u escapes
    assert body.index(b'"a"') < body.index(b'"day"') < body.index(b'"z"')  # keys sorted, as Flask sorts them


def test_are_arguments_orjson_lacks_served_by_the_standard_library(app):
    assert app.json.dumps({"b": 1, "a": 2}, indent=4) == '{\n    "a": 2,\n    "b": 1\n}'
    assert app.json.dumps({"b": 1}, separators=(",", ":")) == '{"b":1}'
    assert app.json.loads('{"a": [1, 2]}') == {"a": [1, 2]} == app.json.loads(b'{"a": [1, 2]}', parse_int=int)


def test_does_an_unknown_type_still_fail_as_a_type_error(app):
    try:
        app.json.dumps({"x": object()})
    except TypeError:
        pass
    else:
        raise AssertionError("an object JSON cannot hold was encoded")


def test_does_a_template_embed_json_safely_in_a_script(app):
    with app.test_request_context():
        page = render_template_string("<script>var d = {{ d|tojson }};</script>", d={"t": "</script><b>满"})
    assert "</script><b>" not in page[8:-9] and "满" in page
