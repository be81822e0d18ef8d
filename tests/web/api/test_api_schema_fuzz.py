"""The JSON API fuzzed against its own OpenAPI document (schemathesis): whatever a till sends, the answer is never a
server error, its status is one the document lists for the operation, and its body, headers and content type are the
ones the document declares; a request the document forbids is refused. Schemathesis also sends each operation
without the key (401), without its required header, and with methods the path does not take (405 with `Allow`).

The document is the one the app serves (/api/v1/openapi.json), not a copy. Requests go to the WSGI app on the run's
PostgreSQL database, authenticated with a real key of a seeded merchant. Half the examples have their store, member,
code and checkout id swapped for seeded ones, so the fuzz gets past "not found" into look-ups, verifications, quotes
and payments; whatever those change is emptied with the tables after the test. Bounded and derandomised: the same
examples on every run, about half a minute in all.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings, strategies as st
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig

from extensions import db
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.web.api.test_api import auth, make_key

EXAMPLES_PER_OPERATION = 25
# Every response check but "a request the schema allows is accepted": a schema cannot say which coupons a member
# holds or that a date range runs backwards, and the document lists the 422 those get.
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_headers_conformance, st_checks.response_schema_conformance,
          st_checks.negative_data_rejection, st_checks.missing_required_header, st_checks.unsupported_method,
          st_checks.ignored_auth]


@pytest.fixture()
def seeded(make, merchant, owner, store, client):
    """A store; a member with a balance and coupons who pays; another holding codes to verify; a key; a checkout."""
    payer, holder = make.member(merchant), make.member(merchant)
    make.wallet(merchant, payer, principal=50000)
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="十元券", amount_off=1000,
                                              validity_mode="relative", valid_days=30)
    claim = coupon_issue.claim
    for n in range(2):
        claim(db.session, merchant, template.id, payer.id, channel="h5", key=f"fuzz:payer:{n}")
    codes = [claim(db.session, merchant, template.id, holder.id, channel="h5", key=f"fuzz:{n}").code for n in range(4)]
    db.session.commit()
    key = make_key(owner)
    paid = client.post("/api/v1/checkout/pay", headers=auth(key, **{"Idempotency-Key": "fuzz-seed"}),
                       json={"store_id": store.id, "member_id": payer.id, "amount": 2000, "tender": "cash"})
    assert paid.status_code == 201, paid.get_json()
    return {"key": key, "store_id": store.id, "member_id": payer.id, "codes": codes,
            "checkout_id": paid.get_json()["id"]}


@pytest.fixture()
def api_schema(app, seeded):
    config = SchemathesisConfig.from_dict({"auth": {"openapi": {"bearerAuth": {"bearer": seeded["key"]}}}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)

    @schema.hook
    def flatmap_case(context, case):
        """Half the examples keep what was generated; the other half address the seeded rows."""
        return st.tuples(st.booleans(), st.sampled_from(seeded["codes"])).map(
            lambda drawn: _with_seeded_rows(case, seeded, drawn[1]) if drawn[0] else case)

    return schema


def _with_seeded_rows(case, seeded, code):
    """The generated values of the seeded rows' fields swapped for theirs. Each part is assigned anew (not changed
    in place) so that schemathesis re-labels the case: a value it made invalid may have become valid."""
    real = {"store_id": seeded["store_id"], "member_id": seeded["member_id"], "code": code,
            "id": seeded["checkout_id"]}
    for part in ("body", "query", "path_parameters"):
        values = getattr(case, part)
        if isinstance(values, dict) and set(values) & set(real):
            setattr(case, part, {name: real.get(name, value) for name, value in values.items()})
    return case


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_does_the_api_answer_as_its_document_says(case):
    # The WSGI transport hands back the body as the app sent it: asked uncompressed, as a till's HTTP client decodes.
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)
