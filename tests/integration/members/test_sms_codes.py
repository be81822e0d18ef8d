"""SMS verification codes: hashed, 5 minutes, 5 tries, 60 s between sends, per-phone and per-IP limits."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels import sms
from channels.wechat import ChannelNotConfigured
from domain.clock import now_utc
from models import Merchant, SandboxOutbox, SmsCode
from services.members import sms_codes
from services.members.sms_codes import SmsCodeRejected, SmsRateLimited
from tests.integration.helpers import run_concurrently

MOBILE = "13700000001"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(name="短信测试店")
    db.session.commit()
    return merchant


def _send(db, shop, mobile=MOBILE, ip="10.0.0.1", now=None):
    row = sms_codes.request_code(db.session, shop, mobile, ip=ip, now=now)
    db.session.commit()
    return row


def _code_sent(db, mobile=MOBILE):
    text = db.session.scalars(select(SandboxOutbox.payload).where(SandboxOutbox.kind == "sms",
                                                                  SandboxOutbox.recipient == mobile)
                              .order_by(SandboxOutbox.id.desc())).first()["text"]
    return re.search(r"验证码是 ([0-9]{6})", text).group(1)


def _wrong(code):
    return f"{(int(code) + 1) % 1000000:06d}"


def test_is_the_code_six_digits_and_stored_only_as_a_hash(db, shop):
    row = _send(db, shop)
    code = _code_sent(db)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert row.ip == "10.0.0.1"


def test_does_the_right_code_verify_once(db, shop):
    _send(db, shop)
    code = _code_sent(db)
    assert sms_codes.verify(db.session, shop.id, MOBILE, code) == MOBILE
    db.session.commit()
    with pytest.raises(SmsCodeRejected, match="已使用"):
        sms_codes.verify(db.session, shop.id, MOBILE, code)


def test_does_a_code_expire_after_five_minutes(db, shop):
    sent_at = now_utc()
    _send(db, shop, now=sent_at)
    code = _code_sent(db)
    with pytest.raises(SmsCodeRejected, match="已过期"):
        sms_codes.verify(db.session, shop.id, MOBILE, code, now=sent_at + timedelta(minutes=5, seconds=1))
    assert sms_codes.verify(db.session, shop.id, MOBILE, code, now=sent_at + timedelta(minutes=4, seconds=59))


def test_is_a_code_dead_after_five_wrong_tries(db, shop):
    _send(db, shop)
    code = _code_sent(db)
    messages = []
    for _ in range(5):
        with pytest.raises(SmsCodeRejected) as caught:
            sms_codes.verify(db.session, shop.id, MOBILE, _wrong(code))
        messages.append(caught.value.message)
        db.session.rollback()  # each request rolls back; the tries are counted all the same
    assert messages[0] == "验证码不正确，还可尝试 4 次"
    assert messages[-1] == "验证码错误次数过多，请重新获取"
    with pytest.raises(SmsCodeRejected, match="错误次数过多"):
        sms_codes.verify(db.session, shop.id, MOBILE, code)
    db.session.expire_all()
    assert db.session.scalars(select(SmsCode.attempts)).one() == 5


def test_does_the_right_code_still_work_after_four_wrong_tries(db, shop):
    _send(db, shop)
    code = _code_sent(db)
    for _ in range(4):
        with pytest.raises(SmsCodeRejected):
            sms_codes.verify(db.session, shop.id, MOBILE, _wrong(code))
    assert sms_codes.verify(db.session, shop.id, MOBILE, code) == MOBILE


def test_do_concurrent_guesses_get_no_more_than_five_comparisons(app, db, shop):
    _send(db, shop)
    code, shop_id = _code_sent(db), shop.id

    def guess(session, index):
        return sms_codes.verify(session, shop_id, MOBILE, _wrong(code))

    results, errors = run_concurrently(app, 12, guess)
    compared = [e for e in errors if "tries_left" in e.details]
    assert results == [] and len(errors) == 12
    assert len(compared) == 5
    db.session.expire_all()
    assert db.session.scalars(select(SmsCode.attempts)).one() == 5
    with pytest.raises(SmsCodeRejected, match="错误次数过多"):
        sms_codes.verify(db.session, shop_id, MOBILE, code)


def test_is_only_the_latest_code_valid(db, shop):
    first_at = now_utc() - timedelta(seconds=90)
    _send(db, shop, now=first_at)
    old = _code_sent(db)
    _send(db, shop)
    new = _code_sent(db)
    if old != new:
        with pytest.raises(SmsCodeRejected):
            sms_codes.verify(db.session, shop.id, MOBILE, old)
    assert sms_codes.verify(db.session, shop.id, MOBILE, new)


def test_can_a_code_be_resent_only_after_sixty_seconds(db, shop):
    sent_at = now_utc()
    _send(db, shop, now=sent_at)
    with pytest.raises(SmsRateLimited, match="60 秒后"):
        sms_codes.request_code(db.session, shop, MOBILE, ip="10.0.0.1", now=sent_at)
    db.session.rollback()
    with pytest.raises(SmsRateLimited, match="1 秒后"):
        sms_codes.request_code(db.session, shop, MOBILE, ip="10.0.0.1", now=sent_at + timedelta(seconds=59.5))
    db.session.rollback()
    assert sms_codes.seconds_until_resend(db.session, shop.id, MOBILE, now=sent_at + timedelta(seconds=30)) == 30
    assert _send(db, shop, now=sent_at + timedelta(seconds=60))


def test_is_a_phone_limited_to_five_codes_an_hour(db, shop):
    start = now_utc() - timedelta(minutes=50)
    for i in range(5):
        _send(db, shop, now=start + timedelta(minutes=2 * i))
    with pytest.raises(SmsRateLimited, match="1 小时后"):
        sms_codes.request_code(db.session, shop, MOBILE, ip="10.0.0.9", now=start + timedelta(minutes=20))
    db.session.rollback()
    # An hour after the first one, the window has room again.
    assert _send(db, shop, now=start + timedelta(minutes=61))


def test_is_an_ip_limited_to_twenty_codes_an_hour_across_phones(db, shop):
    start = now_utc() - timedelta(minutes=30)
    for i in range(20):
        _send(db, shop, mobile=f"1370000{i:04d}", ip="10.9.9.9", now=start + timedelta(seconds=i))
    with pytest.raises(SmsRateLimited, match="当前网络"):
        sms_codes.request_code(db.session, shop, "13799999999", ip="10.9.9.9")
    db.session.rollback()
    assert _send(db, shop, mobile="13799999999", ip="10.9.9.10")


def test_do_concurrent_sends_to_one_phone_send_one_code(app, db, shop):
    shop_id = shop.id

    def send(session, index):
        merchant = session.get(Merchant, shop_id)
        return sms_codes.request_code(session, merchant, MOBILE, ip=f"10.1.1.{index}").id

    results, errors = run_concurrently(app, 6, send)
    assert len(results) == 1 and len(errors) == 5
    assert all(isinstance(e, SmsRateLimited) for e in errors)


def test_is_a_code_of_another_merchant_useless_here(make, db, shop):
    other = make.merchant(name="别家")
    db.session.commit()
    _send(db, other)
    code = _code_sent(db)
    with pytest.raises(SmsCodeRejected, match="请先获取"):
        sms_codes.verify(db.session, shop.id, MOBILE, code)


def test_is_a_malformed_code_refused_without_spending_a_try(db, shop):
    _send(db, shop)
    with pytest.raises(SmsCodeRejected, match="6 位数字"):
        sms_codes.verify(db.session, shop.id, MOBILE, "12ab")
    db.session.expire_all()
    assert db.session.scalars(select(SmsCode.attempts)).one() == 0


def test_does_production_refuse_to_send_without_a_real_provider(app, db, shop):
    saved = {k: app.config.get(k) for k in ("SANDBOX_ENABLED", "SMS_PROVIDER")}
    try:
        app.config.update(SANDBOX_ENABLED=False, SMS_PROVIDER=None)
        with pytest.raises(ChannelNotConfigured, match="短信服务未配置"):
            sms_codes.request_code(db.session, shop, MOBILE, ip="10.0.0.1")
        db.session.rollback()
        app.config["SMS_PROVIDER"] = "sandbox"
        with pytest.raises(ChannelNotConfigured, match="沙箱未开启"):
            sms.provider()
        app.config["SMS_PROVIDER"] = "aliyun"
        with pytest.raises(ChannelNotConfigured, match="未知的短信服务商"):
            sms.provider()
    finally:
        app.config.update(saved)
    assert db.session.scalars(select(SmsCode)).all() == []


def test_is_a_registered_provider_used_when_configured(app, db, shop):
    sent = []

    class Recorder:
        def send(self, session, mobile, text, *, merchant_id=None):
            sent.append((mobile, merchant_id))

    sms.register_provider("recorder", lambda config: Recorder())
    saved = app.config.get("SMS_PROVIDER")
    try:
        app.config["SMS_PROVIDER"] = "recorder"
        _send(db, shop)
    finally:
        app.config["SMS_PROVIDER"] = saved
        sms.PROVIDERS.pop("recorder")
    assert sent == [(MOBILE, shop.id)]
