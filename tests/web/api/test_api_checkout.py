"""The checkout routes of the JSON API: quote, pay (idempotent), read; stores and merchants kept apart."""
import pytest

from extensions import db
from models.checkout import Checkout
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.wallet import journal as wallet
from tests.web.helpers import count, fresh
from tests.web.api.test_api import auth, error_of, make_key


@pytest.fixture()
def member(make, merchant):
    person = make.member(merchant)
    db.session.commit()
    return person


@pytest.fixture()
def key(owner, store):
    return make_key(owner)


def give_coupon(merchant, owner, member):
    template = coupon_templates.save_template(db.session, owner, None, kind="discount", title="8折券",
                                              discount_percent=80, min_spend=10000, validity_mode="relative",
                                              valid_days=30)
    code = coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5", key=f"give:{template.id}")
    db.session.commit()
    return code


def post(client, key, path, body, request_key=None):
    headers = auth(key, **({"Idempotency-Key": request_key} if request_key else {}))
    return client.post(f"/api/v1/checkout/{path}", json=body, headers=headers)


def order(store, member, **extra):
    return {"store_id": store.id, "member_id": member.id, "amount": 10000, "tender": "cash", **extra}


def test_does_a_quote_price_the_members_coupon_and_change_nothing(client, key, merchant, owner, store, member):
    code = give_coupon(merchant, owner, member)
    response = post(client, key, "quote", order(store, member))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["amount"], body["pay"], body["coupon_ids"]) == (10000, 8000, [code.id])
    assert body["steps"][0]["kind"] == "coupon" and body["refusal"] is None
    assert body["member"]["mobile_masked"].count("*") == 4
    assert fresh(code).state == "available" and count(Checkout) == 0


def test_does_pay_charge_once_per_idempotency_key(client, key, merchant, owner, store, member):
    code = give_coupon(merchant, owner, member)
    first = post(client, key, "pay", order(store, member), request_key="sale-1")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["pay"], body["source"], body["coupon_code_ids"]) == (8000, "api", [code.id])
    again = post(client, key, "pay", order(store, member), request_key="sale-1")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    other = post(client, key, "pay", order(store, member, amount=5000), request_key="sale-1")
    assert other.status_code == 409 and error_of(other)["code"] == "idempotency_mismatch"
    assert count(Checkout) == 1 and fresh(code).state == "used"

    read = client.get(f"/api/v1/checkouts/{body['id']}", headers=auth(key))
    assert read.status_code == 200 and read.get_json() == body


def test_is_pay_without_an_idempotency_key_refused(client, key, store, member):
    response = post(client, key, "pay", order(store, member))
    assert response.status_code == 422 and error_of(response)["details"]["field"] == "Idempotency-Key"


def test_does_a_short_balance_say_how_much_is_missing(client, key, merchant, store, member):
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 3000, key="topup")
    db.session.commit()
    response = post(client, key, "pay", order(store, member, tender="balance"), request_key="sale-1")
    assert response.status_code == 409
    error = error_of(response)
    assert error["details"]["short"] == 7000 and "还差 ¥70.00" in error["message"]
    assert fresh(purse).principal == 3000 and count(Checkout) == 0


def test_is_a_key_limited_to_one_store_refused_in_another(client, make, merchant, owner, store, member):
    elsewhere = make.store(merchant, name="别的店")
    db.session.commit()
    limited = make_key(owner, stores=[elsewhere], name="别店收银机")
    for path, request_key in (("quote", None), ("pay", "sale-1")):
        response = post(client, limited, path, order(store, member), request_key=request_key)
        assert response.status_code == 403, (path, response.get_json())
    made = post(client, make_key(owner), "pay", order(store, member), request_key="sale-2").get_json()
    assert client.get(f"/api/v1/checkouts/{made['id']}", headers=auth(limited)).status_code == 403
    assert count(Checkout) == 1


def test_is_another_merchants_member_or_checkout_a_404(client, make, key, store):
    other = make.merchant()
    stranger = make.member(other)
    other_store = make.store(other)
    other_owner = make.staff(other)
    db.session.commit()
    for path, request_key in (("quote", None), ("pay", "sale-1")):
        response = post(client, key, path, order(store, stranger), request_key=request_key)
        assert response.status_code == 404, (path, response.get_json())
    theirs = post(client, make_key(other_owner), "pay", order(other_store, stranger), request_key="x").get_json()
    assert client.get(f"/api/v1/checkouts/{theirs['id']}", headers=auth(key)).status_code == 404
    assert client.get("/api/v1/checkouts/99999999999", headers=auth(key)).status_code == 404


@pytest.mark.parametrize("body", [
    {"amount": 100, "tender": "cash"},
    {"store_id": 1, "amount": "100", "tender": "cash"},
    {"store_id": 1, "amount": 100, "tender": "bitcoin"},
    {"store_id": 1, "amount": 0, "tender": "cash"},
    {"store_id": 1, "amount": 100, "tender": "cash", "choice": {"coupon_ids": ["x"]}},
    {"store_id": 1, "amount": 100, "tender": "cash", "choice": [1]},
    {"store_id": 1, "amount": 100, "tender": "cash", "total": 1},
])
def test_is_a_malformed_request_a_422(client, key, body):
    response = post(client, key, "quote", body)
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["code"] == "validation_error"


def test_is_a_forged_choice_refused(client, key, store, member):
    response = post(client, key, "pay", order(store, member, choice={"coupon_ids": [123456]}), request_key="s")
    assert response.status_code == 422 and count(Checkout) == 0
