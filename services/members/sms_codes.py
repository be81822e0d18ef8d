"""SMS verification codes: 6 digits, kept only as an HMAC, valid 5 minutes, at most 5 tries, rate limited.

Limits are counted in the database (per phone at the merchant, per IP everywhere), under an advisory
lock on PostgreSQL so that concurrent requests cannot both slip under a limit. Each try is reserved on
its own connection before the code is compared, so neither a rolled-back request nor a burst of
concurrent guesses gets more than MAX_TRIES comparisons.
"""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select, text, update

from channels import sms
from domain.clock import now_utc
from domain.errors import DomainError
from domain.phone import normalise_mobile
from models import SmsCode
from services.shared import host

CODE_DIGITS = 6
VALID_FOR = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 5
PER_PHONE_PER_HOUR = 5
PER_IP_PER_HOUR = 20
_CODE = re.compile(r"^[0-9]{6}$")


class SmsRateLimited(DomainError):
    code = "sms_rate_limited"
    http_status = 429


class SmsCodeRejected(DomainError):
    code = "sms_code_rejected"


def request_code(session, merchant, mobile, *, ip=None, purpose="join", now=None):
    """Create and send a new code. Returns the SmsCode row (the code itself is only in the message)."""
    now = now or now_utc()
    mobile = normalise_mobile(mobile)
    _lock(session, *([f"sms:ip:{ip}"] if ip else []), f"sms:phone:{merchant.id}:{mobile}")
    _check_limits(session, merchant.id, mobile, ip, purpose, now)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row = SmsCode(merchant_id=merchant.id, mobile=mobile, purpose=purpose, ip=ip, attempts=0, created_at=now,
                  code_hash=_hash(merchant.id, mobile, purpose, code), expires_at=now + VALID_FOR)
    session.add(row)
    session.flush()
    minutes = int(VALID_FOR.total_seconds() // 60)
    sms.provider().send(session, mobile, f"【{merchant.name}】您的验证码是 {code}，{minutes} 分钟内有效。"
                                         "如非本人操作，请忽略本短信。", merchant_id=merchant.id)
    return row


def seconds_until_resend(session, merchant_id, mobile, purpose="join", now=None):
    """How long the phone must wait before another code can be sent (0 when it may)."""
    latest = _latest(session, merchant_id, mobile, purpose)
    if latest is None:
        return 0
    wait = (latest.created_at + RESEND_AFTER - (now or now_utc())).total_seconds()
    return max(0, int(wait + 0.999))


def verify(session, merchant_id, mobile, code, *, purpose="join", now=None):
    """Consume the phone's latest code if `code` matches it. Returns the normalised mobile; raises SmsCodeRejected."""
    now = now or now_utc()
    mobile = normalise_mobile(mobile)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise SmsCodeRejected("请输入 6 位数字验证码")
    row = _latest(session, merchant_id, mobile, purpose)
    if row is None:
        raise SmsCodeRejected("请先获取短信验证码")
    _check_alive(row, now)
    tries = _reserve_try(session, row.id, now)
    if tries is None:
        session.expire(row)
        raise SmsCodeRejected("验证码已失效，请重新获取")
    if not hmac.compare_digest(row.code_hash, _hash(merchant_id, mobile, purpose, code)):
        left = MAX_TRIES - tries
        raise SmsCodeRejected(f"验证码不正确，还可尝试 {left} 次" if left else "验证码错误次数过多，请重新获取",
                              tries_left=left)
    consumed = session.execute(
        update(SmsCode).where(SmsCode.id == row.id, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    session.expire(row)
    if consumed != 1:
        raise SmsCodeRejected("验证码已使用，请重新获取")
    return mobile


def _check_limits(session, merchant_id, mobile, ip, purpose, now):
    wait = seconds_until_resend(session, merchant_id, mobile, purpose, now)
    if wait:
        raise SmsRateLimited(f"验证码已发送，请 {wait} 秒后再获取", retry_after=wait)
    hour_ago = now - timedelta(hours=1)
    sent_to_phone = session.scalar(select(func.count(SmsCode.id)).where(
        SmsCode.merchant_id == merchant_id, SmsCode.mobile == mobile, SmsCode.created_at > hour_ago))
    if sent_to_phone >= PER_PHONE_PER_HOUR:
        raise SmsRateLimited("该手机号获取验证码过于频繁，请 1 小时后再试")
    if ip:
        sent_from_ip = session.scalar(select(func.count(SmsCode.id)).where(SmsCode.ip == ip,
                                                                           SmsCode.created_at > hour_ago))
        if sent_from_ip >= PER_IP_PER_HOUR:
            raise SmsRateLimited("当前网络获取验证码过于频繁，请稍后再试")


def _check_alive(row, now):
    if row.consumed_at is not None:
        raise SmsCodeRejected("验证码已使用，请重新获取")
    if row.expires_at <= now:
        raise SmsCodeRejected("验证码已过期，请重新获取")
    if row.attempts >= MAX_TRIES:
        raise SmsCodeRejected("验证码错误次数过多，请重新获取")


def _reserve_try(session, code_id, now):
    """Count one try on a connection of its own (committed at once). None if the code is used up."""
    with session.get_bind().begin() as connection:
        return connection.execute(
            update(SmsCode).where(SmsCode.id == code_id, SmsCode.attempts < MAX_TRIES,
                                  SmsCode.consumed_at.is_(None), SmsCode.expires_at > now)
            .values(attempts=SmsCode.attempts + 1).returning(SmsCode.attempts)
        ).scalar_one_or_none()


def _latest(session, merchant_id, mobile, purpose):
    return session.scalars(
        select(SmsCode).where(SmsCode.merchant_id == merchant_id, SmsCode.mobile == mobile,
                              SmsCode.purpose == purpose)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).limit(1)
    ).first()


def _hash(merchant_id, mobile, purpose, code):
    key = host.secret_key().encode()
    return hmac.new(key, f"sms:{merchant_id}:{mobile}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock(session, *keys):
    """Serialise senders to the same phone / from the same IP until the transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite (development) serialises writers anyway
    for key in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
