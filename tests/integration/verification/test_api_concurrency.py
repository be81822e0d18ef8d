"""The JSON API over real HTTP against PostgreSQL: many tills verifying one code at once."""
import json
import threading
import urllib.error
import urllib.request

from sqlalchemy import func, select

from domain import roles
from models import CouponCode, Verification
from services.merchant import api_keys
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.connection_budget import many_connections


def post_all(url, requests):
    """POST each (headers, body) from its own thread, all released at once; [(status, json)] in order."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def send(index, headers, body):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                results[index] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            results[index] = (exc.code, json.loads(exc.read()))

    threads = [threading.Thread(target=send, args=(i, h, b)) for i, (h, b) in enumerate(requests)]
    with many_connections(count=len(threads)):  # the served app's threads connect
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return results


def setup_code(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role=roles.OWNER)
    store = make.store(merchant, "东门店")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              validity_mode="relative", valid_days=30)
    code = coupon_issue.claim(db.session, merchant, template.id, make.member(merchant).id, channel="h5", key="c1")
    key = api_keys.create(db.session, owner, name="前台收银").plaintext
    db.session.commit()
    return code.code, store.id, key


def test_do_50_tills_verifying_one_code_at_once_succeed_exactly_once(db, make, live_server):
    typed, store_id, key = setup_code(db, make)
    requests = [({"Authorization": f"Bearer {key}", "Idempotency-Key": f"till-{i}"},
                 {"code": typed, "store_id": store_id}) for i in range(50)]

    results = post_all(f"{live_server}/api/v1/verifications", requests)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 49, statuses
    for status, body in results:
        if status == 409:
            error = body["error"]
            assert "该券已使用" in error["message"] and "接口 前台收银" in error["message"], error
            assert error["details"]["used_at"] and error["details"]["used_store"] == "东门店"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Verification.id))) == 1
    assert db.session.scalar(select(CouponCode.state).where(CouponCode.code == typed)) == "used"


def test_do_concurrent_retries_with_one_idempotency_key_all_get_the_same_record(db, make, live_server):
    typed, store_id, key = setup_code(db, make)
    requests = [({"Authorization": f"Bearer {key}", "Idempotency-Key": "one-sale"},
                 {"code": typed, "store_id": store_id, "amount_received": 8000})] * 20

    results = post_all(f"{live_server}/api/v1/verifications", requests)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201], statuses
    assert len({body["id"] for _, body in results}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Verification.id))) == 1
