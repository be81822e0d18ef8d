"""The payment notification URLs under junk and floods: only a notification whose signature verifies is kept in
full; the rest are counted per merchant, day, endpoint and reason with one 512-byte sample; a merchant's rate
beyond NOTIFY_RATE_PER_MINUTE is answered FAIL unprocessed, and the same notification is taken a minute later."""
import secrets
from datetime import timedelta

import pytest
import xmltodict
from cryptography.hazmat.primitives import serialization
from redis import Redis
from sqlalchemy import func, select

from domain.clock import DEFAULT_TIMEZONE, local_today, now_utc
from models import NotificationRate, Order, PaymentNotification
from services.orders import notification_rates, orders
from tests.integration.orders.test_alipay_pay import _fields, _new_key, _signed_body
from tests.integration.orders.test_wechat_pay import APP_ID, MCH_ID, notification, topup_order
from tests.rejected_notifications import rejected, rows

URLS = {"wechat_pay": "/payments/wechat/notify/{}", "wechat_refund": "/payments/wechat/refund-notify/{}",
        "alipay": "/payments/alipay/notify/{}"}


@pytest.fixture()
def shop(db, make):
    """A merchant taking WeChat Pay (MD5) and Alipay, with a ¥100 top-up order on each channel."""
    key, alipay_key = secrets.token_hex(16), _new_key()
    merchant = make.merchant(wechat_app_id=APP_ID, wechat_app_secret=secrets.token_hex(16), wechat_pay_mch_id=MCH_ID,
                             wechat_pay_api_key=key, wechat_pay_sign_type="MD5",
                             alipay_app_id="2021000000000042", alipay_seller_id="2088000000000777")
    merchant.alipay_private_key = _new_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    merchant.alipay_public_key = alipay_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    member = make.member(merchant)
    wechat_order = topup_order(db.session, merchant, member)
    alipay_order = orders.create(db.session, merchant, member.id, kind="topup", channel="alipay", amount=10000,
                                 description="充值 100 元", items={"principal": 10000, "bonus": 1000}, key="ali-1")
    db.session.commit()
    return dict(merchant=merchant, key=key, alipay_key=alipay_key, wechat_order=wechat_order,
                alipay_order=alipay_order)


def post(client, endpoint, slug, body):
    content_type = "application/x-www-form-urlencoded" if endpoint == "alipay" else "text/xml"
    response = client.post(URLS[endpoint].format(slug), data=body, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    if endpoint == "alipay":
        return response.get_data(as_text=True)
    return xmltodict.parse(response.get_data())["xml"]["return_code"]


def genuine(shop, endpoint):
    if endpoint == "alipay":
        return _signed_body(shop["alipay_key"], _fields(shop["merchant"], shop["alipay_order"]))
    return notification(shop["wechat_order"], shop["key"], "MD5")


def accepted_answer(endpoint):
    return "success" if endpoint == "alipay" else "SUCCESS"


def full_rows(db):
    db.session.expire_all()
    return db.session.scalars(select(PaymentNotification).order_by(PaymentNotification.id)).all()


def order_state(db, order):
    db.session.expire_all()
    return db.session.get(Order, order.id).state


@pytest.mark.parametrize("endpoint", ["wechat_pay", "wechat_refund", "alipay"])
def test_do_200_junk_posts_store_no_full_row_but_a_counter_of_200_with_one_short_sample(client, db, shop,
                                                                                        endpoint):
    junks = [(f"junk {i} " + secrets.token_hex(8000))[:16000].encode() for i in range(200)]

    answers = {post(client, endpoint, shop["merchant"].slug, junk) for junk in junks}

    assert answers == {"failure" if endpoint == "alipay" else "FAIL"}
    assert full_rows(db) == []
    assert rejected(db) == {(endpoint, "malformed"): 200}
    (row,) = rows(db)
    assert row.merchant_id == shop["merchant"].id and row.last_sample == junks[-1][:512].decode()


@pytest.mark.parametrize("endpoint", ["wechat_pay", "alipay"])
def test_is_a_genuine_notification_still_accepted_and_kept_in_full_after_junk(client, db, shop, endpoint):
    for _ in range(20):
        post(client, endpoint, shop["merchant"].slug, b"<xml>junk</xml>")
    body = genuine(shop, endpoint)

    assert post(client, endpoint, shop["merchant"].slug, body) == accepted_answer(endpoint)

    (kept,) = full_rows(db)
    assert (kept.outcome, kept.merchant_id, kept.body) == ("accepted", shop["merchant"].id, body)
    order = shop["alipay_order" if endpoint == "alipay" else "wechat_order"]
    assert order_state(db, order) == "fulfilled"


def test_do_made_up_slugs_share_one_counter_a_day(client, db, shop):
    for i in range(50):
        post(client, "wechat_pay", f"no-such-shop-{i}", b"<xml><a>1</a></xml>")

    (row,) = rows(db)
    assert (row.merchant_id, row.reason, row.count) == (0, "unknown_merchant", 50)
    assert row.last_detail == "slug no-such-shop-49" and full_rows(db) == []


@pytest.mark.parametrize("endpoint", ["wechat_pay", "wechat_refund", "alipay"])
def test_is_a_body_over_16_kb_refused_and_only_sampled(client, db, shop, endpoint):
    body = genuine(shop, endpoint if endpoint != "wechat_refund" else "wechat_pay")
    padded = body.replace("</xml>", "<attach>" + "x" * 17000 + "</attach></xml>") if endpoint != "alipay" \
        else body + "&passback_params=" + "x" * 17000

    assert post(client, endpoint, shop["merchant"].slug, padded) in ("FAIL", "failure")

    assert full_rows(db) == [] and rejected(db) == {(endpoint, "too_large"): 1}
    assert rows(db)[0].last_sample == ""  # not read beyond the limit, so nothing of it is kept


@pytest.mark.parametrize("endpoint", ["wechat_pay", "alipay"])
def test_is_a_notification_over_the_rate_answered_fail_unprocessed_then_taken_after_the_minute(
        app, client, db, shop, endpoint, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_RATE_PER_MINUTE", 3)
    slug, body = shop["merchant"].slug, genuine(shop, endpoint)
    order = shop["alipay_order" if endpoint == "alipay" else "wechat_order"]
    for _ in range(3):
        post(client, endpoint, slug, b"<xml>junk</xml>")

    assert post(client, endpoint, slug, body) in ("FAIL", "failure")
    assert order_state(db, order) == "created" and full_rows(db) == []
    assert rejected(db)[(endpoint, "rate_limited")] == 1

    later = now_utc() + timedelta(seconds=60)
    monkeypatch.setattr(notification_rates, "now_utc", lambda: later)
    assert post(client, endpoint, slug, body) == accepted_answer(endpoint)
    assert order_state(db, order) == "fulfilled" and [n.outcome for n in full_rows(db)] == ["accepted"]
    db.session.expire_all()
    minutes = db.session.scalars(select(NotificationRate.minute)).all()
    assert minutes == [int(later.timestamp()) // 60]  # the earlier minute was deleted when this one started


def test_does_the_rate_count_live_in_redis_when_it_is_configured(app, client, db, shop, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_RATE_PER_MINUTE", 2)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    answers = [post(client, "wechat_refund", shop["merchant"].slug, b"<xml>junk</xml>") for _ in range(4)]

    assert answers == ["FAIL"] * 4
    assert rejected(db) == {("wechat_refund", "malformed"): 2, ("wechat_refund", "rate_limited"): 2}
    assert db.session.scalar(select(func.count()).select_from(NotificationRate)) == 0
    counters = Redis.from_url(redis_url).keys(f"notify_rate:{shop['merchant'].id}:*")
    assert len(counters) == 1 and int(Redis.from_url(redis_url).get(counters[0])) == 4


def test_does_the_daily_job_forget_counters_older_than_the_kept_days_only(db, shop):
    from jobs.payments import forget_old_rejected_notifications
    from services.orders import notification_rejects

    now = now_utc()
    for days_ago in (0, notification_rejects.KEEP_DAYS, notification_rejects.KEEP_DAYS + 1, 400):
        notification_rejects.count(db.session, shop["merchant"], "alipay", "bad_signature", "x", b"x",
                                   now=now - timedelta(days=days_ago))
    notification_rejects.count(db.session, None, "alipay", "unknown_merchant", "x", b"x", now=now - timedelta(days=400))
    db.session.commit()
    assert forget_old_rejected_notifications(db.session, now=now) == 3
    db.session.commit()
    today = local_today(DEFAULT_TIMEZONE, now)  # the merchant's days (Asia/Shanghai), as the counters are kept
    assert sorted((today - row.day).days for row in rows(db)) == [0, notification_rejects.KEEP_DAYS]
