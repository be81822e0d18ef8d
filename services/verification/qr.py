"""The QR code a member shows for a coupon or card: a token signed with the app secret, valid 60 seconds.

The token names the instrument's code, its merchant and its holder, and when it was made, so a screenshot
goes stale and a code handed to someone else stops scanning. Staff scanning resolves it to the code
(then `services.verification.instruments.find`) and typing the printed code stays possible.
"""
from itsdangerous import BadSignature, URLSafeSerializer

from domain.clock import now_utc
from domain.errors import DomainError
from services.shared import host

VALID_SECONDS = 60
CLOCK_SKEW_SECONDS = 5
_SALT = "instrument-qr-v1"


class InstrumentQrInvalid(DomainError):
    code = "instrument_qr_invalid"


class InstrumentQrExpired(InstrumentQrInvalid):
    code = "instrument_qr_expired"


def _serializer():
    return URLSafeSerializer(host.secret_key(), salt=_SALT)


def token(row, now=None):
    """A fresh token for a coupon code or card row (anything with code, merchant_id and member_id)."""
    issued = int((now or now_utc()).timestamp())
    return _serializer().dumps([row.code, row.merchant_id, row.member_id, issued])


def resolve(merchant_id, value, now=None):
    """(code, member_id) the token names at this merchant. Raises InstrumentQrExpired or InstrumentQrInvalid."""
    try:
        code, token_merchant_id, member_id, issued = _serializer().loads(value or "")
    except (BadSignature, TypeError, ValueError):
        raise InstrumentQrInvalid("二维码无效") from None
    if token_merchant_id != merchant_id or not isinstance(code, str) or not isinstance(issued, int):
        raise InstrumentQrInvalid("二维码无效")
    age = int((now or now_utc()).timestamp()) - issued
    if age > VALID_SECONDS:
        raise InstrumentQrExpired("二维码已过期，请让会员刷新后重新出示")
    if age < -CLOCK_SKEW_SECONDS:
        raise InstrumentQrInvalid("二维码无效")
    return code, member_id
