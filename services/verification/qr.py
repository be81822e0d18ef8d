"""The QR code a member shows for a coupon or card: a token signed with the app secret, valid 60 seconds.

The token names the instrument's code, its merchant and its holder, and when it was made, so a screenshot
goes stale and a code handed to someone else stops scanning. Staff scanning resolves it to the code
(then `services.verification.instruments.find`) and typing the printed code stays possible.
"""
from domain.errors import DomainError
from services.shared.shown_tokens import ShownToken


class InstrumentQrInvalid(DomainError):
    code = "instrument_qr_invalid"


class InstrumentQrExpired(InstrumentQrInvalid):
    code = "instrument_qr_expired"


SHOWN = ShownToken("instrument-qr-v1", InstrumentQrInvalid, InstrumentQrExpired,
                   expired_text="二维码已过期，请让会员刷新后重新出示", invalid_text="二维码无效")
VALID_SECONDS = SHOWN.valid_seconds


def token(row, now=None):
    """A fresh token for a coupon code or card row (anything with code, merchant_id and member_id)."""
    return SHOWN.make(row.merchant_id, [row.code, row.member_id], now)


def resolve(merchant_id, value, now=None):
    """(code, member_id) the token names at this merchant. Raises InstrumentQrExpired or InstrumentQrInvalid."""
    fields = SHOWN.read(merchant_id, value, now)
    if len(fields) != 2 or not isinstance(fields[0], str):
        raise InstrumentQrInvalid(SHOWN.invalid_text)
    return tuple(fields)
