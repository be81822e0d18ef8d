"""The staff page: log in on a phone, choose the store, look up and verify a code, see and undo own records.

Scanning (member and instrument QR tokens, the JS-SDK config, the Redis limit) is in test_staff_scan.py."""
import re

import pytest
from flask import g

from domain import roles
from models import AuditLog, Verification
from services.coupons import issue as coupon_issue, templates as coupon_templates
from tests.factories import PASSWORD
from tests.web.helpers import count, fresh, text_of


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="测试咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier_east = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    cashier_west = make.staff(merchant, role=roles.CASHIER, username="west", stores_=[west])
    member = make.member(merchant, mobile="13912345678", name="王小明")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              min_spend=10000, validity_mode="relative", valid_days=30,
                                              store_ids=[east.id])
    code = coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5", key="claim:staff-h5:1")
    db.session.commit()
    return {"merchant": merchant, "owner": owner, "east": east, "west": west, "cashier_east": cashier_east,
            "cashier_west": cashier_west, "member": member, "template": template, "code": code}


def staff_login(client, staff, store=None):
    response = client.post("/staff/login", data={"merchant": staff.merchant.slug, "username": staff.username,
                                                 "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/store")
    chosen = client.get("/staff/store") if store is None else client.post("/staff/store", data={"store_id": store.id})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/staff/"), text_of(chosen)
    return client


def second_phone(app):
    """Another client. The tests keep one app context open, and Flask-Login caches the user in `g` there."""
    g.pop("_login_user", None)
    return app.test_client()


def key_of(body):
    return re.search(r'name="key"[^>]*value="([^"]+)"', body).group(1)


def test_can_a_cashier_log_in_and_land_on_the_verify_page_of_their_only_store(client, shop):
    staff_login(client, shop["cashier_east"])
    body = text_of(client.get("/staff/"))
    assert "扫码核销" in body and "东门店" in body
    assert 'id="scan-button"' in body and 'name="code"' in body and "staff_h5/scan.js" in body


def test_must_an_owner_choose_among_all_stores_and_is_a_foreign_store_refused(client, make, db, shop):
    other = make.merchant()
    foreign = make.store(other, "别家店")
    db.session.commit()
    client.post("/staff/login", data={"merchant": shop["merchant"].slug, "username": "boss", "password": PASSWORD})
    assert client.get("/staff/").headers["Location"].endswith("/staff/store")
    choice = text_of(client.get("/staff/store"))
    assert "东门店" in choice and "西门店" in choice and "别家店" not in choice
    assert client.post("/staff/store", data={"store_id": foreign.id}).status_code == 200  # form shown again
    assert client.get("/staff/").status_code == 302
    assert client.post("/staff/store", data={"store_id": shop["west"].id}).status_code == 302
    assert "西门店" in text_of(client.get("/staff/"))


def test_is_a_wrong_password_refused_and_does_logout_sign_out(client, shop):
    refused = client.post("/staff/login", data={"merchant": shop["merchant"].slug, "username": "east",
                                                "password": "wrong-password"})
    assert refused.status_code == 200 and "不正确" in text_of(refused)
    staff_login(client, shop["cashier_east"])
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").headers["Location"].endswith("/staff/login")


def test_does_a_cashier_verify_a_code_of_their_own_store(client, shop):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    looked = client.post("/staff/lookup", data={"code": code.code.lower()})
    body = text_of(looked)
    assert looked.status_code == 200
    assert "满100减20" in body and "代金券" in body and "139****5678" in body and "可使用" in body
    assert 'id="verify-form"' in body
    done = client.post("/staff/verify", data={"code": code.code, "key": key_of(body), "received": "80.5"})
    assert done.status_code == 200 and "核销成功" in text_of(done)
    assert fresh(code).state == "used"
    record = fresh(code)
    rows = count(Verification, Verification.coupon_code_id == record.id, Verification.method == "manual",
                 Verification.store_id == shop["east"].id, Verification.staff_id == shop["cashier_east"].id,
                 Verification.amount_received == 8050)
    assert rows == 1


def test_is_a_cashier_of_another_store_refused_with_the_reason_and_nothing_changes(client, shop):
    staff_login(client, shop["cashier_west"])
    code = shop["code"]
    looked = text_of(client.post("/staff/lookup", data={"code": code.code}))
    assert 'id="not-usable"' in looked and 'id="verify-form"' not in looked
    refused = client.post("/staff/verify", data={"code": code.code, "key": "verify:forged-key-123456"})
    assert refused.status_code == 409
    assert "门店" in text_of(refused)
    assert fresh(code).state == "available"
    assert count(Verification) == 0


def test_is_an_already_used_code_refused_saying_it_was_used_and_by_whom(client, shop):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(client.post("/staff/lookup", data={"code": code.code}))
    client.post("/staff/verify", data={"code": code.code, "key": key_of(body)})
    again = client.post("/staff/verify", data={"code": code.code, "key": "verify:second-attempt-0001"})
    assert again.status_code == 409
    assert "已使用" in text_of(again) and "东门店" in text_of(again)
    assert count(Verification) == 1
    assert "已使用" in text_of(client.post("/staff/lookup", data={"code": code.code}))


def test_are_garbage_and_unknown_codes_explained_and_rate_limited_after_ten_failures(client, shop):
    staff_login(client, shop["cashier_east"])
    garbage = client.post("/staff/lookup", data={"code": "hello"})
    assert garbage.status_code == 400 and "券码格式不正确" in text_of(garbage)
    for _ in range(9):
        unknown = client.post("/staff/lookup", data={"code": "ABCD1234EFGH5678"})
        assert unknown.status_code == 404 and "券码不存在" in text_of(unknown)
    assert count(AuditLog, AuditLog.action == "staff.lookup_failed") == 10
    blocked = client.post("/staff/lookup", data={"code": shop["code"].code})
    assert blocked.status_code == 429 and "次数过多" in text_of(blocked)
    side_door = client.post("/staff/verify", data={"code": shop["code"].code, "key": "verify:side-door-000001"})
    assert side_door.status_code == 429 and fresh(shop["code"]).state == "available"


def test_does_guessing_through_the_verify_form_count_as_failures(client, shop):
    staff_login(client, shop["cashier_east"])
    for _ in range(10):
        guess = client.post("/staff/verify", data={"code": "ABCD1234EFGH5678", "key": "verify:guess-00000001"})
        assert guess.status_code == 404
    assert client.post("/staff/lookup", data={"code": shop["code"].code}).status_code == 429


def test_does_the_limit_follow_the_staff_member_to_a_new_device(app, client, shop):
    staff_login(client, shop["cashier_east"])
    for _ in range(10):
        client.post("/staff/lookup", data={"code": "ABCD1234EFGH5678"})
    other_phone = staff_login(second_phone(app), shop["cashier_east"])
    assert other_phone.post("/staff/lookup", data={"code": shop["code"].code}).status_code == 429


def test_can_the_same_staff_undo_a_verification_from_their_records(client, shop):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(client.post("/staff/lookup", data={"code": code.code}))
    client.post("/staff/verify", data={"code": code.code, "key": key_of(body), "received": "12"})
    records = text_of(client.get("/staff/records"))
    assert "满100减20" in records and "东门店" in records and "12.00" in records and "手动输入" in records
    assert "优惠券 · 满100减20" in records
    record_id = int(re.search(r'/staff/records/(\d+)/undo', records).group(1))
    undone = client.post(f"/staff/records/{record_id}/undo")
    assert undone.status_code == 302
    assert fresh(code).state == "available"
    assert "已撤销" in text_of(client.get("/staff/records"))


def test_can_another_staff_member_not_undo_it(app, client, shop, make, db):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(client.post("/staff/lookup", data={"code": code.code}))
    client.post("/staff/verify", data={"code": code.code, "key": key_of(body)})
    record_id = db.session.scalar(Verification.__table__.select().with_only_columns(Verification.id))
    colleague = make.staff(shop["merchant"], role=roles.CASHIER, stores_=[shop["east"]])
    db.session.commit()
    other = staff_login(second_phone(app), colleague)
    other.post(f"/staff/records/{record_id}/undo")
    assert fresh(code).state == "used"


def test_is_another_merchants_code_not_found(client, make, db, shop):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    other_member = make.member(other)
    template = coupon_templates.save_template(db.session, other_owner, None, kind="cash", title="别家券", amount_off=500,
                                              validity_mode="relative", valid_days=30)
    foreign = coupon_issue.claim(db.session, other, template.id, other_member.id, channel="h5", key="claim:foreign:1")
    db.session.commit()
    staff_login(client, shop["owner"], shop["east"])
    looked = client.post("/staff/lookup", data={"code": foreign.code})
    assert looked.status_code == 404 and "别家券" not in text_of(looked)
    verified = client.post("/staff/verify", data={"code": foreign.code, "key": "verify:foreign-attempt-01"})
    assert verified.status_code == 404
    assert fresh(foreign).state == "available"


def test_do_the_staff_forms_carry_a_csrf_token(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    def tokens(body):
        return re.findall(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', body)

    login_page = text_of(client.get("/staff/login"))
    assert tokens(login_page)
    assert client.post("/staff/login", data={"merchant": shop["merchant"].slug, "username": "boss",
                                             "password": PASSWORD}).status_code == 400
    client.post("/staff/login", data={"merchant": shop["merchant"].slug, "username": "boss", "password": PASSWORD,
                                      "csrf_token": tokens(login_page)[0]})
    store_page = text_of(client.get("/staff/store"))
    assert tokens(store_page)
    client.post("/staff/store", data={"store_id": shop["east"].id, "csrf_token": tokens(store_page)[0]})
    verify_page = text_of(client.get("/staff/"))
    assert tokens(verify_page)  # lookup
    assert tokens(text_of(client.get("/staff/me")))  # logout, under 我的
    looked = text_of(client.post("/staff/lookup", data={"code": shop["code"].code,
                                                        "csrf_token": tokens(verify_page)[0]}))
    assert 'id="verify-form"' in looked and tokens(looked)


def test_does_the_limit_hold_for_the_device_when_another_staff_member_signs_in_on_it(client, shop):
    staff_login(client, shop["cashier_east"])
    for _ in range(10):
        client.post("/staff/lookup", data={"code": "ABCD1234EFGH5678"})
    client.post("/staff/logout")
    staff_login(client, shop["cashier_west"])
    assert client.post("/staff/lookup", data={"code": shop["code"].code}).status_code == 429


def test_is_a_store_forged_into_the_session_ignored_and_the_staff_sent_to_choose_again(client, shop):
    staff_login(client, shop["cashier_east"])
    with client.session_transaction() as browser_session:
        browser_session["staff_store_id"] = shop["west"].id
    assert client.get("/staff/").headers["Location"].endswith("/staff/store")
    code = shop["code"]
    forged = client.post("/staff/verify", data={"code": code.code, "key": "verify:forged-session-01"})
    assert forged.status_code == 302 and fresh(code).state == "available"


def test_can_a_cashier_not_choose_a_store_of_their_merchant_that_is_not_theirs(client, shop):
    staff_login(client, shop["cashier_east"])
    refused = client.post("/staff/store", data={"store_id": shop["west"].id})
    assert refused.status_code == 200 and "西门店" not in text_of(refused)
    with client.session_transaction() as browser_session:
        assert browser_session["staff_store_id"] == shop["east"].id


def test_does_a_wrong_amount_received_refuse_without_changing_anything(client, shop):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(client.post("/staff/lookup", data={"code": code.code}))
    refused = client.post("/staff/verify", data={"code": code.code, "key": key_of(body), "received": "-3"})
    assert refused.status_code == 400 and "金额" in text_of(refused)
    assert fresh(code).state == "available" and count(Verification) == 0


def test_is_an_undo_after_the_window_refused(client, shop, db):
    from datetime import timedelta

    from domain.clock import now_utc
    from services.verification import instruments

    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(client.post("/staff/lookup", data={"code": code.code}))
    client.post("/staff/verify", data={"code": code.code, "key": key_of(body)})
    record = db.session.scalars(Verification.__table__.select().with_only_columns(Verification.id)).one()
    db.session.execute(Verification.__table__.update().values(
        created_at=now_utc() - instruments.UNDO_WINDOW - timedelta(seconds=5)))
    db.session.commit()
    assert f"/staff/records/{record}/undo" not in text_of(client.get("/staff/records"))
    refused = client.post(f"/staff/records/{record}/undo", follow_redirects=True)
    assert "不能撤销" in text_of(refused) and fresh(code).state == "used"
