"""Where the API and its OpenAPI document used to disagree: the error shape of unknown paths and wrong methods, the
code's pattern, the quote's fields, empty and malformed query parameters."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy.exc import DataError

from api import openapi, payloads
from domain import coupons as code_rules
from tests.web.api.test_api import auth, error_of, make_key


@pytest.fixture()
def key(owner, store):
    return make_key(owner)


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/checkouts/abc", "/api/v1/codes/",
                                  "/api/v1"])
def test_is_a_path_no_route_takes_a_404_in_the_apis_error_shape(client, key, path):
    response = client.get(path, headers=auth(key))
    assert response.status_code == 404 and response.is_json
    assert error_of(response)["code"] == "not_found"
    page = client.get("/backoffice/no-such-page")  # outside the API: still the app's page
    assert page.status_code == 404 and not page.is_json


def test_is_a_method_a_path_does_not_take_a_405_naming_the_ones_it_does(client, key):
    response = client.delete("/api/v1/verifications", headers=auth(key))
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    quote = client.get("/api/v1/checkout/quote", headers=auth(key))
    assert quote.status_code == 405 and "POST" in quote.headers["Allow"] and error_of(quote)


@pytest.mark.parametrize("query, field", [("to=", "to"), ("from=", "from"), ("from=2030-W01-1", "from"),
                                          ("to=2030-01-01%0A", "to"), ("limit=", "limit"), ("cursor=", "cursor"),
                                          ("store_id=", "store_id"), ("limit=%201", "limit")])
def test_is_an_empty_or_malformed_query_parameter_refused(client, key, query, field):
    response = client.get(f"/api/v1/verifications?{query}", headers=auth(key))
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["details"]["field"] == field


def test_does_the_document_declare_the_code_pattern_the_api_enforces(client, key, store):
    document = openapi.document()
    lookup = document["paths"]["/codes/{code}"]["get"]["parameters"][0]["schema"]
    body = document["components"]["schemas"]["VerificationRequest"]["properties"]["code"]
    assert lookup["pattern"] == body["pattern"] == payloads.CODE_PATTERN
    issued = code_rules.new_code()
    for typed in (issued, issued.lower(), code_rules.format_code(issued), "-".join(re.findall("....", issued))):
        assert re.fullmatch(payloads.CODE_PATTERN, typed)
    for wrong in ("ABCD1234EFGH567U", "ABCD1234EFGH567", "ABCD1234EFGH56789", "ABCD\t1234EFGH5678"):
        assert not re.fullmatch(payloads.CODE_PATTERN, wrong)
        response = client.get(f"/api/v1/codes/{quote(wrong)}?store_id={store.id}", headers=auth(key))
        assert response.status_code == 422 and error_of(response)["details"]["field"] == "code"


def test_does_a_quote_take_the_same_body_as_the_payment(client, key, store):
    order = {"store_id": store.id, "amount": 1000, "tender": "wechat", "note": "桌号 7", "auth_code": "134567890123456789"}
    response = client.post("/api/v1/checkout/quote", json=order, headers=auth(key))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["pay"] == 1000


def test_does_a_quote_refuse_a_payment_code_the_payment_would_refuse(client, key, store):
    order = {"store_id": store.id, "amount": 1000, "tender": "cash", "auth_code": "134567890123456789"}
    response = client.post("/api/v1/checkout/quote", json=order, headers=auth(key))
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "auth_code"


def test_does_the_document_name_the_headers_of_a_401_and_a_429(client, store):
    lookup = openapi.document()["paths"]["/codes/{code}"]["get"]["responses"]
    assert "WWW-Authenticate" in lookup["401"]["headers"] and "Retry-After" in lookup["429"]["headers"]
    response = client.get(f"/api/v1/codes/ABCD1234EFGH5678?store_id={store.id}")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("refusal", [OverflowError("Python int too large to convert to SQLite INTEGER"),
                                     DataError("SELECT 1", {}, Exception("value out of range for type integer"))])
def test_is_a_value_the_database_refuses_inside_an_api_view_a_422_in_the_api_shape(client, owner, monkeypatch,
                                                                                   refusal):
    from api import views as api_views
    key = make_key(owner)

    def refuse(*args, **kwargs):
        raise refusal
    monkeypatch.setattr(api_views.verification_reports, "records", refuse)
    response = client.get("/api/v1/verifications", headers=auth(key))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
