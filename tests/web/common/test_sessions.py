"""The cookie session belongs to the pages; the JSON API, authenticated by its key, neither reads nor sets it."""
import pytest
from flask.sessions import NullSession

from tests.web.api.test_api import auth, make_key


def test_does_an_api_request_get_no_cookie_session_while_a_signed_in_page_keeps_its_own(app, client, as_owner,
                                                                                        owner, store):
    key = make_key(owner)
    response = client.post("/api/v1/checkout/quote", json={"store_id": store.id, "amount": 1000, "tender": "cash"},
                           headers=auth(key))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with app.test_request_context("/api/v1/checkout/quote", method="POST"):
        from flask import session

        assert isinstance(session, NullSession) and dict(session) == {}
        with pytest.raises(RuntimeError):
            session["kept"] = 1  # the API keeps nothing between requests: a write fails loudly
    assert client.get("/backoffice/").status_code == 200  # the signed-in owner's page session still holds


def test_is_an_api_request_with_the_staff_cookie_not_signed_in_by_it(client, as_owner):
    response = client.get("/api/v1/checkouts/1")
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
