"""The staff page's scanning: member QR tokens, instrument QR tokens, quantities and amounts through the generic
instrument interface, the WeChat JS-SDK config, and the Redis path of the failed-look-up limit."""
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from redis import Redis
from sqlalchemy import select
from wechatpy import WeChatClient

from domain import coupons as code_rules
from domain import roles
from domain.clock import now_utc
from domain.errors import Conflict
from models import AuditLog, SandboxGrant, Verification
from services.cards import count_timed_issue, count_timed_templates
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.verification import qr as instrument_qr, instruments, records as verifications
from services.members import qr as member_qr
from sandbox import wechat_state as wechat_sandbox
from services.verification.lookup import Lookup
from staff_h5 import limits
from tests.web.helpers import count, fresh, text_of
from tests.web.staff_h5.test_staff_h5 import shop, staff_login  # noqa: F401  (the fixture is used by name)

LATE = timedelta(seconds=instrument_qr.VALID_SECONDS + 30)


def keys_in(body):
    return re.findall(r'name="key" value="([^"]+)"', body)


def form_of(body, code):
    """The confirm form for one code on a page that lists several: its id suffix and idempotency key."""
    chunk = re.search(rf'<form[^>]*id="verify-form([^"]*)" data-code="{code}">(.*?)</form>', body, re.S)
    return chunk.group(1), keys_in(chunk.group(2))[0]


def lookup(client, value, via="scan"):
    return client.post("/staff/lookup", data={"code": value, "via": via})


# --- member QR --------------------------------------------------------------------------------------------

def test_does_a_member_qr_show_the_member_and_the_coupons_they_hold(client, shop):
    staff_login(client, shop["cashier_east"])
    page = lookup(client, member_qr.issue(shop["member"]))
    body = text_of(page)
    assert page.status_code == 200
    assert "王小明" in body and "139****5678" in body and "满100减20" in body
    assert 'id="verify-form-1"' in body and 'name="method" value="scan"' in body
    done = client.post("/staff/verify", data={"code": shop["code"].code, "key": form_of(body, shop["code"].code)[1],
                                              "method": "scan"})
    assert done.status_code == 200 and "核销成功" in text_of(done)
    assert count(Verification, Verification.method == "scan", Verification.coupon_code_id == shop["code"].id) == 1


def test_does_a_member_qr_at_another_store_show_the_coupon_but_no_verify_button(client, shop):
    staff_login(client, shop["cashier_west"])
    body = text_of(lookup(client, member_qr.issue(shop["member"])))
    assert "满100减20" in body and 'id="not-usable-1"' in body and 'id="verify-form-1"' not in body


def test_is_an_expired_member_qr_refused_and_counted_as_a_failure(client, shop):
    staff_login(client, shop["cashier_east"])
    stale = member_qr.issue(shop["member"], now=now_utc() - LATE)
    refused = lookup(client, stale)
    assert refused.status_code == 400 and "已过期" in text_of(refused) and "王小明" not in text_of(refused)
    assert count(AuditLog, AuditLog.action == limits.ACTION) == 1


# --- instrument QR ----------------------------------------------------------------------------------------

def test_does_an_instrument_qr_resolve_to_its_code_and_verify_as_a_scan(client, shop):
    staff_login(client, shop["cashier_east"])
    code = shop["code"]
    body = text_of(lookup(client, instrument_qr.token(code)))
    assert "满100减20" in body and code.code in body and 'id="verify-form"' in body
    client.post("/staff/verify", data={"code": code.code, "key": keys_in(body)[0], "method": "scan",
                                       "received": "88"})
    assert fresh(code).state == "used"
    assert count(Verification, Verification.method == "scan", Verification.amount_received == 8800) == 1
    assert "扫码" in text_of(client.get("/staff/records"))


def test_is_an_expired_instrument_qr_refused_and_counted_as_a_failure(client, shop):
    staff_login(client, shop["cashier_east"])
    stale = instrument_qr.token(shop["code"], now=now_utc() - LATE)
    refused = lookup(client, stale)
    assert refused.status_code == 400 and "已过期" in text_of(refused) and 'id="verify-form"' not in text_of(refused)
    assert count(AuditLog, AuditLog.action == limits.ACTION) == 1


def test_is_a_tampered_token_refused_as_invalid_and_counted(client, shop):
    staff_login(client, shop["cashier_east"])
    forged = instrument_qr.token(shop["code"])[:-3] + "abc"
    refused = lookup(client, forged)
    assert refused.status_code == 400 and "无效" in text_of(refused)
    assert count(AuditLog, AuditLog.action == limits.ACTION) == 1


def test_does_an_instrument_qr_stop_working_once_the_code_belongs_to_someone_else(client, shop, make, db):
    token = instrument_qr.token(shop["code"])
    friend = make.member(shop["merchant"], mobile="13700001111")
    db.session.flush()
    shop["code"].member_id = friend.id
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    refused = lookup(client, token)
    assert refused.status_code == 400 and "已失效" in text_of(refused)


def test_is_another_merchants_instrument_qr_not_accepted(client, shop, make, db):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    template = coupon_templates.save_template(db.session, other_owner, None, kind="cash", title="别家券", amount_off=500,
                                              validity_mode="relative", valid_days=30)
    foreign = coupon_issue.claim(db.session, other, template.id, make.member(other).id, channel="h5", key="claim:f:1")
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    refused = lookup(client, instrument_qr.token(foreign))
    assert refused.status_code == 400 and "别家券" not in text_of(refused)


# --- quantities and amounts, through the generic interface ------------------------------------------------

class FakeCards:
    """A stand-in count card and gift card adapter, as the card modules will plug into services.verification.instruments."""

    kinds = ("count_card", "gift_card")
    kind = "count_card"

    def __init__(self):
        self.rows = {}

    def add(self, kind, merchant_id, member, left):
        row = SimpleNamespace(id=len(self.rows) + 1, code=code_rules.new_code(), kind=kind, merchant_id=merchant_id,
                              member_id=member.id, member=SimpleNamespace(id=member.id, name=member.name,
                                                                          mobile=member.mobile), left=left)
        self.rows[row.code] = row
        return row

    def find(self, session, merchant_id, code):
        row = self.rows.get(code)
        return row if row is not None and row.merchant_id == merchant_id else None

    def describe(self, session, row, store_id, now):
        uses = row.kind == "count_card"
        return Lookup(kind=row.kind, kind_label="次卡" if uses else "礼品卡", id=row.id, code=row.code,
                      title="洗车10次卡" if uses else "礼品卡500元", state="active", state_label="使用中",
                      reason=None if row.left else "已用完", member=row.member,
                      details=[("剩余", str(row.left))], take="uses" if uses else "amount", take_max=row.left,
                      photo_url="/static/fake-photo.jpg" if uses else None)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        row = next(r for r in self.rows.values() if r.id == row_id)
        store = verifications.actor_store(session, actor, store_id)
        taken = quantity if row.kind == "count_card" else amount
        if not taken or taken > row.left:
            raise Conflict("余量不足")
        row.left -= taken
        return verifications.record(session, actor, store=store, instrument_type=row.kind,
                                    instrument_name="洗车10次卡" if quantity else "礼品卡500元", method=method,
                                    key=key, member_id=row.member_id, now=now, amount_received=amount_received,
                                    quantity=quantity, amount_taken=amount)

    def undo(self, session, staff, record, now):
        row = next(r for r in self.rows.values() if r.member_id == record.member_id and r.kind == record.instrument_type)
        row.left += record.quantity or record.amount_taken

    def held_by(self, session, member, store_id, now):
        return [self.describe(session, r, store_id, now) for r in self.rows.values() if r.member_id == member.id]


FAKE = FakeCards()


@pytest.fixture()
def cards(monkeypatch, shop):
    FAKE.rows.clear()
    # First, so that it, not the real card adapters, answers for its kinds.
    monkeypatch.setattr(instruments, "ADAPTERS", [FAKE] + instruments.ADAPTERS)
    merchant_id = shop["merchant"].id
    return {"count": FAKE.add("count_card", merchant_id, shop["member"], 10),
            "gift": FAKE.add("gift_card", merchant_id, shop["member"], 50000)}


def test_does_a_count_card_ask_for_uses_and_take_them(client, shop, cards):
    staff_login(client, shop["cashier_east"])
    card = cards["count"]
    body = text_of(lookup(client, card.code, via="manual"))
    assert "洗车10次卡" in body and 'name="quantity"' in body and 'max="10"' in body and "fake-photo.jpg" in body
    done = client.post("/staff/verify", data={"code": card.code, "key": keys_in(body)[0], "quantity": "3"})
    assert done.status_code == 200 and "使用 3 次" in text_of(done)
    assert card.left == 7
    assert count(Verification, Verification.instrument_type == "count_card", Verification.quantity == 3) == 1
    records = text_of(client.get("/staff/records"))
    assert "次卡 · 洗车10次卡" in records and "使用 3 次" in records


@pytest.mark.parametrize("quantity", ["0", "11", "two", ""])
def test_is_a_wrong_number_of_uses_refused_with_nothing_taken(client, shop, cards, quantity):
    staff_login(client, shop["cashier_east"])
    card = cards["count"]
    refused = client.post("/staff/verify", data={"code": card.code, "key": "verify:bad-quantity-001",
                                                 "quantity": quantity})
    assert refused.status_code == 400 and "次" in text_of(refused)
    assert card.left == 10 and count(Verification) == 0


def test_does_a_gift_card_take_an_amount_in_yuan_and_refuse_more_than_its_balance(client, shop, cards):
    staff_login(client, shop["cashier_east"])
    card = cards["gift"]
    body = text_of(lookup(client, card.code))
    assert 'name="amount"' in body and "500.00" in body
    too_much = client.post("/staff/verify", data={"code": card.code, "key": keys_in(body)[0], "amount": "500.01"})
    assert too_much.status_code == 400 and card.left == 50000
    done = client.post("/staff/verify", data={"code": card.code, "key": keys_in(body)[0], "amount": "123.45",
                                              "method": "scan"})
    assert done.status_code == 200 and "扣减 ¥123.45" in text_of(done)
    assert card.left == 50000 - 12345
    assert count(Verification, Verification.amount_taken == 12345, Verification.method == "scan") == 1


def test_does_a_member_qr_list_cards_with_their_own_fields_and_undo_work_for_a_card(client, shop, cards, db):
    staff_login(client, shop["cashier_east"])
    body = text_of(lookup(client, member_qr.issue(shop["member"])))
    assert body.count('class="staff-confirm"') == 3
    count_suffix, count_key = form_of(body, cards["count"].code)
    gift_suffix, _ = form_of(body, cards["gift"].code)
    assert f'id="quantity{count_suffix}"' in body and f'id="amount{gift_suffix}"' in body
    assert form_of(body, shop["code"].code)[1] != count_key
    card = cards["count"]
    done = client.post("/staff/verify", data={"code": card.code, "key": count_key, "quantity": "2"})
    assert done.status_code == 200
    record_id = db.session.scalar(select(Verification.id))
    undone = client.post(f"/staff/records/{record_id}/undo", follow_redirects=True)
    assert "已撤销核销" in text_of(undone), text_of(undone)
    assert card.left == 10
    assert db.session.get(Verification, record_id).undone_at is not None


# --- WeChat JS-SDK -----------------------------------------------------------------------------------------

@pytest.fixture()
def wechat_shop(shop, db):
    wechat_sandbox.provision_account(db.session, shop["merchant"])
    db.session.commit()
    return shop


def test_does_the_jssdk_config_carry_a_signature_wechatpy_accepts_for_the_sandbox_ticket(client, wechat_shop, db,
                                                                                        live_server):
    merchant = wechat_shop["merchant"]
    staff_login(client, wechat_shop["cashier_east"])
    url = "http://localhost/staff/?from=menu"
    answer = client.get(f"/staff/jssdk-config?url={quote(url + '#top', safe='')}")
    assert answer.status_code == 200, text_of(answer)
    config = answer.get_json()
    db.session.expire_all()
    ticket = db.session.scalars(select(SandboxGrant.value).where(SandboxGrant.kind == "jsapi_ticket",
                                                                 SandboxGrant.app_id == merchant.wechat_app_id)).one()
    expected = WeChatClient(merchant.wechat_app_id, merchant.wechat_app_secret).jsapi.get_jsapi_signature(
        config["nonceStr"], ticket, config["timestamp"], url)
    assert config["signature"] == expected
    assert config["appId"] == merchant.wechat_app_id and config["jsApiList"] == ["scanQRCode"]
    assert client.get(f"/staff/jssdk-config?url={quote(url, safe='')}").status_code == 200
    assert wechat_sandbox.count_issued(db.session, "jsapi_ticket", merchant.wechat_app_id) == 1  # cached


def test_is_a_foreign_page_url_not_signed(client, wechat_shop):
    staff_login(client, wechat_shop["cashier_east"])
    for url in ("https://evil.example/staff/", "http://localhost/backoffice/", ""):
        refused = client.get(f"/staff/jssdk-config?url={quote(url, safe='')}")
        assert refused.status_code == 400 and "error" in refused.get_json()


def test_does_a_merchant_without_an_official_account_get_a_reason_not_a_crash(client, shop):
    staff_login(client, shop["cashier_east"])
    answer = client.get(f"/staff/jssdk-config?url={quote('http://localhost/staff/', safe='')}")
    assert answer.status_code == 400 and "公众号" in answer.get_json()["error"]


def test_does_the_page_offer_wechat_scanning_inside_wechat_and_the_camera_elsewhere(client, shop):
    staff_login(client, shop["cashier_east"])
    inside = text_of(client.get("/staff/", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.50"}))
    outside = text_of(client.get("/staff/", headers={"User-Agent": "Mozilla/5.0 Chrome/120"}))
    assert 'data-mode="wechat"' in inside and "weixin-js-sdk/jweixin.js" in inside
    assert 'data-mode="camera"' in outside and "html5-qrcode/html5-qrcode.min.js" in outside


def test_is_the_jssdk_config_only_for_signed_in_staff(client, wechat_shop):
    answer = client.get(f"/staff/jssdk-config?url={quote('http://localhost/staff/', safe='')}")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


# --- the failed-look-up limit in Redis ----------------------------------------------------------------------

def test_does_the_limit_count_in_redis_when_redis_is_configured(app, client, shop, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    staff_login(client, shop["cashier_east"])
    for _ in range(limits.MAX_FAILURES):
        assert lookup(client, "ABCD1234EFGH5678", via="manual").status_code == 404
    redis = Redis.from_url(redis_url)
    counters = {key.decode(): int(redis.get(key)) for key in redis.scan_iter(f"{limits.REDIS_PREFIX}:*")}
    assert sorted(counters.values()) == [limits.MAX_FAILURES, limits.MAX_FAILURES]  # staff and device
    assert all(0 < redis.ttl(key) <= 2 * limits.WINDOW.total_seconds() for key in counters)
    assert lookup(client, shop["code"].code).status_code == 429
    redis.flushdb()  # the audit rows remain, yet Redis is what is counted
    assert count(AuditLog, AuditLog.action == limits.ACTION) == limits.MAX_FAILURES
    assert lookup(client, shop["code"].code).status_code == 200


def test_does_the_redis_limit_also_hold_an_expired_token_guesser(app, client, shop, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    staff_login(client, shop["cashier_east"])
    stale = instrument_qr.token(shop["code"], now=now_utc() - LATE)
    for _ in range(limits.MAX_FAILURES):
        lookup(client, stale)
    assert lookup(client, instrument_qr.token(shop["code"])).status_code == 429


# --- a real count card (services/cards/count_timed_*), scanned by its QR ----------------------------------------------

def test_does_a_real_count_card_scanned_by_its_qr_take_the_uses_asked_for(client, shop, db):
    template = count_timed_templates.save_template(db.session, shop["owner"], None, kind="count", title="洗车十次卡",
                                                   service_name="精洗", uses=10)
    card = count_timed_issue.issue(db.session, shop["merchant"], template.id, shop["member"].id, channel="staff",
                                   key="issue:staff-scan:1")
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    body = text_of(lookup(client, instrument_qr.token(card)))
    assert "洗车十次卡" in body and 'name="quantity"' in body and 'max="10"' in body
    too_many = client.post("/staff/verify", data={"code": card.code, "key": keys_in(body)[0], "quantity": "11"})
    assert too_many.status_code == 400 and fresh(card).uses_left == 10
    done = client.post("/staff/verify", data={"code": card.code, "key": keys_in(body)[0], "quantity": "3",
                                              "method": "scan"})
    assert done.status_code == 200, text_of(done)
    assert fresh(card).uses_left == 7
    assert count(Verification, Verification.card_id == card.id, Verification.quantity == 3,
                 Verification.method == "scan") == 1


def test_does_the_limit_fall_back_to_the_audit_log_when_redis_is_down(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    staff_login(client, shop["cashier_east"])
    for _ in range(limits.MAX_FAILURES):
        assert lookup(client, "ABCD1234EFGH5678", via="manual").status_code == 404
    assert lookup(client, shop["code"].code).status_code == 429


def test_does_a_double_tap_on_confirm_take_the_uses_once_and_show_success_twice(client, shop, db):
    template = count_timed_templates.save_template(db.session, shop["owner"], None, kind="count", title="护理三次卡",
                                                   service_name="护理", uses=3)
    card = count_timed_issue.issue(db.session, shop["merchant"], template.id, shop["member"].id, channel="staff",
                                   key="issue:staff-scan:2")
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    key = keys_in(text_of(lookup(client, card.code, via="manual")))[0]
    for _ in range(2):
        done = client.post("/staff/verify", data={"code": card.code, "key": key, "quantity": "3"})
        assert done.status_code == 200 and "使用 3 次" in text_of(done)
    assert fresh(card).uses_left == 0 and count(Verification) == 1
