"""The JSON API for shops with their own till: keys, look-up, verification, replays, records, the document."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from api import blueprint, limits, openapi
from domain import roles
from domain.clock import now_utc
from extensions import db
from models import ApiKey, CouponCode, Verification
from services.merchant import api_keys
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.helpers import count, fresh


def make_key(owner, stores=(), name="收银机"):
    created = api_keys.create(db.session, owner, name=name, store_ids=[s.id for s in stores])
    db.session.commit()
    return created.plaintext


def make_code(make, merchant, owner, **template_values):
    values = {"kind": "cash", "title": "十元券", "amount_off": 1000, "validity_mode": "relative", "valid_days": 30,
              **template_values}
    template = coupon_templates.save_template(db.session, owner, None, **values)
    member = make.member(merchant)
    code = coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5",
                              key=f"t:{template.id}:{member.id}")
    db.session.commit()
    return code.code


def auth(key, **extra):
    return {"Authorization": f"Bearer {key}", **extra}


def verify(client, key, code, store_id, request_key="k1", **body):
    return client.post("/api/v1/verifications", json={"code": code, "store_id": store_id, **body},
                       headers=auth(key, **{"Idempotency-Key": request_key}))


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


@pytest.fixture()
def key(owner):
    return make_key(owner)


@pytest.fixture()
def code(make, merchant, owner):
    return make_code(make, merchant, owner)


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer garbage", "Bearer mk_abcdefgh_" + "x" * 43])
def test_is_a_request_without_a_valid_key_refused_with_401(client, store, code, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_is_a_revoked_key_refused_with_401(client, owner, store, code, key):
    api_keys.revoke(db.session, owner, db.session.query(ApiKey).one().id)
    db.session.commit()
    response = client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(key))
    assert response.status_code == 401


def test_is_a_key_with_a_right_prefix_but_wrong_secret_refused(client, store, code, key):
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(forged)).status_code == 401


def test_is_only_a_hash_of_the_key_stored(key):
    row = db.session.query(ApiKey).one()
    assert key.startswith(f"mk_{row.prefix}_") and len(key) > 40
    assert row.secret_hash == api_keys.hash_key(key) and key not in (row.secret_hash, row.prefix)


def test_can_a_till_look_up_a_code_of_its_merchant(client, store, code, key):
    response = client.get(f"/api/v1/codes/{code[:4]}-{code[4:8]} {code[8:]}?store_id={store.id}", headers=auth(key))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["kind"], body["code"], body["title"], body["usable"], body["reason"]) == (
        "coupon", code, "十元券", True, None)
    assert body["member"]["mobile_masked"].count("*") == 4


def test_does_a_lookup_record_when_the_key_was_last_used(client, store, code, key):
    assert db.session.query(ApiKey).one().last_used_at is None
    client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(key))
    assert fresh(db.session.query(ApiKey).one()).last_used_at is not None


def test_is_another_merchants_code_indistinguishable_from_an_unknown_one(client, make, store, key):
    other = make.merchant(slug="other")
    other_owner = make.staff(other, role=roles.OWNER, username="other-boss")
    theirs = make_code(make, other, other_owner)
    made_up = "ABCDEFGHJKMNPQRS"
    seen = [client.get(f"/api/v1/codes/{c}?store_id={store.id}", headers=auth(key)) for c in (theirs, made_up)]
    assert [r.status_code for r in seen] == [404, 404]
    assert error_of(seen[0]) == error_of(seen[1])
    assert verify(client, key, theirs, store.id).status_code == 404
    assert count(Verification) == 0
    assert fresh_code(other.id, theirs).state == "available"


def fresh_code(merchant_id, typed):
    db.session.expire_all()
    return db.session.query(CouponCode).filter_by(merchant_id=merchant_id, code=typed).one()


def test_is_another_merchants_store_not_found(client, make, code, key):
    other_store = make.store(make.merchant(slug="other2"), name="别家店")
    db.session.commit()
    assert client.get(f"/api/v1/codes/{code}?store_id={other_store.id}", headers=auth(key)).status_code == 404
    assert verify(client, key, code, other_store.id).status_code == 404


def test_can_a_store_restricted_key_verify_in_another_store(client, make, merchant, owner, store, code):
    elsewhere = make.store(merchant, name="西门店")
    db.session.commit()
    restricted = make_key(owner, stores=[elsewhere], name="西门店收银")
    response = verify(client, restricted, code, store.id)
    assert response.status_code == 403
    assert error_of(response)["message"] == "您只能在所属门店核销"
    assert client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(restricted)).status_code == 403
    assert verify(client, restricted, code, elsewhere.id, request_key="k2").status_code == 201


def test_does_a_verification_use_the_code_and_record_the_key(client, merchant, store, code, key):
    response = verify(client, key, code, store.id, amount_received=5000)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["code"], body["method"], body["store"]["id"], body["amount_received"]) == (code, "api", store.id, 5000)
    assert body["api_key"]["name"] == "收银机" and body["staff"] is None
    assert fresh_code(merchant.id, code).state == "used"
    record = db.session.get(Verification, body["id"])
    assert record.api_key_id == db.session.query(ApiKey).one().id and record.method == "api"


def test_does_a_replay_with_the_same_key_return_the_same_record(client, store, code, key):
    first = verify(client, key, code, store.id, request_key="till-42", amount_received=100)
    again = verify(client, key, code, store.id, request_key="till-42", amount_received=100)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert count(Verification) == 1


@pytest.mark.parametrize("change", [{"amount_received": 999}, {"store": "other"}, {"code": "other"}])
def test_is_a_replay_with_a_different_request_refused(client, make, merchant, owner, store, code, key, change):
    other_store = make.store(merchant, name="北门店")
    db.session.commit()
    other_code = make_code(make, merchant, owner, title="另一张")
    assert verify(client, key, code, store.id, request_key="same", amount_received=100).status_code == 201
    body = {"amount_received": change.get("amount_received", 100)}
    response = verify(client, key, other_code if "code" in change else code,
                      other_store.id if "store" in change else store.id, request_key="same", **body)
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_mismatch"
    assert count(Verification) == 1 and fresh_code(merchant.id, other_code).state == "available"


def test_does_a_second_verification_say_who_used_the_code_and_when(client, store, code, key):
    assert verify(client, key, code, store.id, request_key="a").status_code == 201
    response = verify(client, key, code, store.id, request_key="b")
    assert response.status_code == 409
    error = error_of(response)
    assert "该券已使用" in error["message"] and "接口 收银机" in error["message"] and store.name in error["message"]
    assert error["details"]["used_by"] == "接口 收银机" and error["details"]["used_at"]


def test_is_a_code_not_valid_in_this_store_refused_with_the_reason(client, make, merchant, owner, store, key):
    only_there = make.store(merchant, name="南门店")
    db.session.commit()
    typed = make_code(make, merchant, owner, store_ids=[only_there.id])
    lookup = client.get(f"/api/v1/codes/{typed}?store_id={store.id}", headers=auth(key)).get_json()
    assert lookup["usable"] is False and lookup["reason"]
    response = verify(client, key, typed, store.id)
    assert response.status_code in (403, 409) and error_of(response)["message"] == lookup["reason"]
    assert fresh_code(merchant.id, typed).state == "available"


def test_are_failed_lookups_limited_per_key(client, store, code, key, owner):
    statuses = [client.get(f"/api/v1/codes/ABCDEFGHJKMN{n:04d}?store_id={store.id}", headers=auth(key)).status_code
                for n in range(50)]
    assert statuses[:limits.MAX_FAILURES] == [404] * limits.MAX_FAILURES
    assert set(statuses[limits.MAX_FAILURES:]) == {429}
    blocked = client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(key))
    assert blocked.status_code == 429 and error_of(blocked)["code"] == "too_many_failed_lookups"
    assert verify(client, key, code, store.id).status_code == 429
    other_key = make_key(owner, name="另一台")
    assert client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(other_key)).status_code == 200


def test_do_failed_lookups_older_than_the_window_stop_counting(client, store, code, key):
    for n in range(limits.MAX_FAILURES):
        client.get(f"/api/v1/codes/ABCDEFGHJKMN{n:04d}?store_id={store.id}", headers=auth(key))
    from models import AuditLog

    db.session.execute(update(AuditLog).values(created_at=now_utc() - limits.WINDOW - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(key)).status_code == 200


def test_are_failed_lookups_counted_in_redis_when_it_is_configured(app, client, store, code, key, redis_url):
    app.config["REDIS_URL"] = redis_url
    try:
        for n in range(limits.MAX_FAILURES):
            client.get(f"/api/v1/codes/ABCDEFGHJKMN{n:04d}?store_id={store.id}", headers=auth(key))
        assert client.get(f"/api/v1/codes/{code}?store_id={store.id}", headers=auth(key)).status_code == 429
        from models import AuditLog

        assert count(AuditLog, AuditLog.action == limits.ACTION) == 0
    finally:
        app.config["REDIS_URL"] = ""


@pytest.mark.parametrize("data,status", [
    (b"{not json", 400),
    (b"\xff\xfe", 400),
    (b"[1, 2]", 422),
    (b'"text"', 422),
    (b"{}", 422),
    (b'{"code": 123, "store_id": 1}', 422),
    (b'{"code": "X", "store_id": "1"}', 422),
    (b'{"code": "X", "store_id": true}', 422),
    (b'{"code": "X", "store_id": 1.5}', 422),
    (b'{"code": "X", "store_id": 1, "amount_received": -1}', 422),
    (b'{"code": "X", "store_id": 1, "quantity": 0}', 422),
    (b'{"code": "X", "store_id": 1, "surprise": 1}', 422),
    (b'{"code": "X", "store_id": 99999999999999999999999999}', 422),
    (b'{"code": "' + b"A" * 100 + b'", "store_id": 1}', 422),
    (b'{"code": "' + b"A" * 20000 + b'", "store_id": 1}', 413),
], ids=lambda value: value[:30].decode("latin-1") if isinstance(value, bytes) else str(value))
def test_is_malformed_input_refused_with_a_json_error_and_nothing_changed(client, key, code, data, status):
    response = client.post("/api/v1/verifications", data=data, content_type="application/json",
                           headers=auth(key, **{"Idempotency-Key": "bad"}))
    assert response.status_code == status, response.get_data(as_text=True)
    assert error_of(response)["message"]
    assert count(Verification) == 0


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "x" * 81}, {"Idempotency-Key": "含中文"}])
def test_is_a_verification_without_a_proper_idempotency_key_refused(client, key, store, code, headers):
    response = client.post("/api/v1/verifications", json={"code": code, "store_id": store.id},
                           headers={**auth(key), **headers})
    assert response.status_code == 422 and "Idempotency-Key" in error_of(response)["message"]
    assert count(Verification) == 0


@pytest.mark.parametrize("query", ["", "?store_id=abc", "?store_id=-1", "?store_id=0"])
def test_is_a_lookup_without_a_proper_store_refused(client, key, code, query):
    response = client.get(f"/api/v1/codes/{code}{query}", headers=auth(key))
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "store_id"


def test_is_a_badly_formed_code_a_validation_error(client, key, store):
    response = client.get(f"/api/v1/codes/abc?store_id={store.id}", headers=auth(key))
    assert response.status_code == 422 and "券码格式不正确" in error_of(response)["message"]


def verified(client, key, make, merchant, owner, store, n):
    for i in range(n):
        assert verify(client, key, make_code(make, merchant, owner, title=f"券{i}"), store.id,
                      request_key=f"list-{i}").status_code == 201
    db.session.expire_all()
    return [r.id for r in db.session.query(Verification).order_by(Verification.id.desc())]


def test_are_records_listed_newest_first_with_a_cursor(client, make, merchant, owner, store, key):
    ids = verified(client, key, make, merchant, owner, store, 5)
    seen, cursor = [], None
    for _ in range(3):
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = client.get(f"/api/v1/verifications{query}", headers=auth(key)).get_json()
        seen += [r["id"] for r in body["data"]]
        cursor = body["next_cursor"]
    assert seen == ids and cursor is None


def test_are_records_filtered_by_local_date(client, make, merchant, owner, store, key):
    ids = verified(client, key, make, merchant, owner, store, 3)
    # 2030-01-01 00:30 in Shanghai is still 2029-12-31 in UTC: the filter must use the merchant's day.
    from datetime import datetime, timezone

    db.session.execute(update(Verification).where(Verification.id == ids[0])
                       .values(created_at=datetime(2029, 12, 31, 16, 30, tzinfo=timezone.utc)))
    db.session.commit()
    body = client.get("/api/v1/verifications?from=2030-01-01&to=2030-01-01", headers=auth(key)).get_json()
    assert [r["id"] for r in body["data"]] == [ids[0]]
    assert body["data"][0]["created_at_local"].startswith("2030-01-01T00:30")
    earlier = client.get("/api/v1/verifications?to=2029-12-31", headers=auth(key)).get_json()
    assert [r["id"] for r in earlier["data"]] == ids[1:]


@pytest.mark.parametrize("query", ["from=2030-13-01", "from=yesterday", "from=2030-02-01&to=2030-01-01",
                                   "limit=0", "limit=201", "cursor=x"])
def test_are_bad_list_filters_refused(client, key, query):
    response = client.get(f"/api/v1/verifications?{query}", headers=auth(key))
    assert response.status_code == 422, response.get_data(as_text=True)


def test_does_a_store_restricted_key_list_only_its_stores_records(client, make, merchant, owner, store, key):
    elsewhere = make.store(merchant, name="东门店")
    db.session.commit()
    restricted = make_key(owner, stores=[elsewhere], name="东门店收银")
    verify(client, key, make_code(make, merchant, owner, title="甲"), store.id, request_key="x1")
    mine = verify(client, restricted, make_code(make, merchant, owner, title="乙"), elsewhere.id,
                  request_key="x2").get_json()
    body = client.get("/api/v1/verifications", headers=auth(restricted)).get_json()
    assert [r["id"] for r in body["data"]] == [mine["id"]]
    assert client.get(f"/api/v1/verifications?store_id={store.id}", headers=auth(restricted)).status_code == 403
    assert len(client.get("/api/v1/verifications", headers=auth(key)).get_json()["data"]) == 2


def test_does_another_merchants_key_see_none_of_the_records(client, make, merchant, owner, store, key):
    verified(client, key, make, merchant, owner, store, 2)
    other = make.merchant(slug="other3")
    other_key = make_key(make.staff(other, role=roles.OWNER, username="o3"))
    assert client.get("/api/v1/verifications", headers=auth(other_key)).get_json()["data"] == []
    assert client.get(f"/api/v1/verifications?store_id={store.id}", headers=auth(other_key)).status_code == 404


def test_is_the_openapi_document_valid_and_complete(app, client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    routes = {(rule.rule.removeprefix("/api/v1").replace("<typed>", "{code}").replace("<int:checkout_id>", "{id}"),
               method.lower())
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith(f"{blueprint.name}.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_does_the_docs_page_list_every_operation_without_a_key(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for method, path, operation in openapi.operations():
        assert f"/api/v1{path}" in page and operation["summary"] in page
    assert "http://" not in page and "https://" not in page  # no CDN


def test_is_the_api_exempt_from_csrf_but_the_back_office_is_not(app, key, store, code):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        assert verify(client, key, code, store.id).status_code == 201
        assert client.post("/backoffice/api-keys/new", data={"name": "x"}).status_code == 400  # no CSRF token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_is_an_unknown_api_route_a_json_404(client, key):
    response = client.get("/api/v1/nothing", headers=auth(key))
    assert response.status_code == 404 and response.is_json


def test_can_a_till_look_up_and_verify_a_count_card_by_its_number(client, make, merchant, owner, store, key):
    from services.cards import count_timed_issue, count_timed_templates

    template = count_timed_templates.save_template(db.session, owner, None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10)
    card = count_timed_issue.issue(db.session, merchant, template.id, make.member(merchant).id, channel="staff",
                                   key="card-1")
    db.session.commit()
    number = card.code
    lookup = client.get(f"/api/v1/codes/{number}?store_id={store.id}", headers=auth(key)).get_json()
    assert (lookup["kind"], lookup["take"], lookup["usable"]) == ("count_card", "uses", True)
    first = verify(client, key, number, store.id, request_key="wash-1", quantity=3)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert (first.get_json()["code"], first.get_json()["quantity"]) == (number, 3)
    assert verify(client, key, number, store.id, request_key="wash-1", quantity=3).get_json() == first.get_json()
    assert verify(client, key, number, store.id, request_key="wash-1", quantity=2).status_code == 409
