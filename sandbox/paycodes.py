"""The sandbox's payment codes (付款码): what a code the cashier scans makes the sandbox do, for both channels.

Shapes are the real ones: WeChat Pay 18 digits starting 10-15, Alipay 16-24 digits starting 25-30. A code of
another shape is refused as invalid (AUTH_CODE_INVALID / ACQ.PAYMENT_AUTH_CODE_INVALID). The last four digits
choose what happens (any other ending pays at once):

    1111  the payer must enter a password (USERPAYING / 10003 WAIT_BUYER_PAY) and does so
          SANDBOX_PASSWORD_SECONDS (default 3) later: the first order query after that says paid
    2222  the payer must enter a password and never does (stays USERPAYING until reversed or cancelled)
    3333  insufficient funds (NOTENOUGH / ACQ.BUYER_BALANCE_NOT_ENOUGH)
    4444  the code has expired (AUTHCODEEXPIRE / ACQ.PAYMENT_AUTH_CODE_INVALID)

The simulated phone (/sandbox/paycode) shows fresh codes of each kind as a number, a barcode and a QR code.
"""
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from channels import alipay_barcode, wechat_micropay
from domain.clock import now_utc

SHAPES = {"wechat": wechat_micropay.PAYMENT_CODE, "alipay": alipay_barcode.PAYMENT_CODE}
ENDINGS = {"1111": "password", "2222": "never", "3333": "notenough", "4444": "expired"}
KINDS = {"success": _l("直接支付成功"), "password": _l("需输入密码（稍后支付成功）"),
         "never": _l("需输入密码（顾客一直不输入）"), "notenough": _l("余额不足"), "expired": _l("付款码已过期")}
DEFAULT_PASSWORD_SECONDS = 3


def behaviour(channel, code):
    """invalid, success, password, never, notenough or expired."""
    if not isinstance(code, str) or not SHAPES[channel].match(code):
        return "invalid"
    return ENDINGS.get(code[-4:], "success")


def password_entered_at(kind):
    """When the payer of a `password` code enters it; None for a payer who never does."""
    if kind != "password":
        return None
    seconds = current_app.config.get("SANDBOX_PASSWORD_SECONDS", DEFAULT_PASSWORD_SECONDS)
    return now_utc() + timedelta(seconds=seconds)


def new_code(channel, kind="success"):
    """A fresh code of the channel's shape that makes the sandbox do `kind`."""
    ending = {v: k for k, v in ENDINGS.items()}.get(kind)
    if channel == "wechat":
        body = f"1{secrets.randbelow(6)}{secrets.randbelow(10 ** 12):012d}"
    else:
        body = f"28{secrets.randbelow(10 ** 10):010d}"
    tail = ending or f"{secrets.randbelow(10 ** 4):04d}"
    if tail in ENDINGS and kind == "success":
        tail = "0000"
    return body + tail
