"""Alipay wap trades and their refunds, as services call them: the signed cashier URL, the asynchronous
notification's parsing and RSA2 signature check, trade query and close for an order whose notification never
came, refund and refund query, and Alipay's amounts (yuan text) to and from fen.

The client (python-alipay-sdk, gateway from config) is in channels/alipay.py; the notification arrives at
payments/alipay.py and is handled by services.orders.alipay_notifications.

`refund` asks `alipay.trade.refund` for part or all of a paid order; our out_refund_no is Alipay's
out_request_no, so sending the same refund again never moves money twice.
"""
import logging
import re
from urllib.error import URLError
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay.exceptions import AliPayException, AliPayValidationError
from flask import current_app

from channels.alipay import client_for
from channels.trade_answers import PaidTrade
from domain.errors import Conflict

log = logging.getLogger(__name__)

MAX_NOTIFICATION_BYTES = 16 * 1024  # a real notification is about 1.5 KB
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
ALIPAY_TIMEZONE = ZoneInfo("Asia/Shanghai")  # time_expire is read as Beijing time
_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
CALL_ERRORS = (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError)


class MalformedNotification(ValueError):
    """A notification body that is not a plain form of distinct fields."""


class BadSignature(ValueError):
    """A notification whose RSA2 signature is missing or does not verify with Alipay's public key."""


def yuan_text(fen):
    """Alipay's total_amount: yuan with exactly two decimals, from integer fen."""
    whole, part = divmod(int(fen), 100)
    return f"{whole}.{part:02d}"


def fen_from_text(text):
    """Alipay's total_amount back to fen; None for anything that is not a plain amount."""
    match = _AMOUNT.match(text or "")
    if not match:
        return None
    decimals = (match.group(2) or ".")[1:].ljust(2, "0")
    return int(match.group(1)) * 100 + int(decimals)


def _beijing(moment):
    return moment.astimezone(ALIPAY_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")


def notify_url(merchant):
    """Where Alipay sends the payment's result (payments/alipay.py)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/payments/alipay/notify/{merchant.slug}"


# --- paying ---------------------------------------------------------------------------------------------

def wap_pay_url(merchant, order, return_url):
    """Alipay's wap cashier for this order, signed; Alipay sends the browser back to `return_url` (or there when
    the member quits). ChannelNotConfigured when the merchant has no Alipay app."""
    client = client_for(merchant)
    query = client.api_alipay_trade_wap_pay(
        subject=order.description, out_trade_no=order.out_trade_no, total_amount=yuan_text(order.amount),
        return_url=return_url, notify_url=notify_url(merchant), quit_url=return_url,
        time_expire=_beijing(order.expires_at))
    return f"{current_app.config['ALIPAY_GATEWAY']}?{query}"


# --- the asynchronous notification ------------------------------------------------------------------------

def notification_fields(raw):
    """The notification's form fields as a dict; MalformedNotification for anything else."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise MalformedNotification("malformed body") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise MalformedNotification("repeated field")
    return fields


def notification_field(raw, name):
    """One field of a body that may be malformed (for the kept notification row): at most 64 characters."""
    try:
        return dict(parse_qsl((raw or b"").decode("utf-8"), keep_blank_values=True)).get(name, "")[:64] or None
    except (UnicodeDecodeError, ValueError):
        return None


def verify_notification(merchant, fields):
    """BadSignature unless the fields carry an RSA2 signature that verifies with Alipay's public key.
    ChannelNotConfigured when the merchant has no Alipay app."""
    data = {key: value for key, value in fields.items() if key not in ("sign", "sign_type")}
    if fields.get("sign_type") != "RSA2" or not fields.get("sign"):
        raise BadSignature(f"sign_type {fields.get('sign_type', '')[:16]}")
    try:
        valid = client_for(merchant).verify(data, fields["sign"])
    except (ValueError, TypeError, AliPayException):
        valid = False
    if not valid:
        raise BadSignature("RSA2 signature does not verify")


def paid_from_notification(fields):
    """What a verified notification of a paid trade says (app id and seller are checked against the order)."""
    return PaidTrade(amount=fen_from_text(fields.get("total_amount")), currency=None, app_id=fields.get("app_id"),
                     merchant_no=fields.get("seller_id"), trade_no=(fields.get("trade_no") or "")[:64],
                     payer=(fields.get("buyer_id") or fields.get("buyer_open_id") or "")[:128] or None)


# --- query and close, for the unpaid-order job -------------------------------------------------------------

def query_trade(merchant, out_trade_no):
    """alipay.trade.query's signed answer; None when Alipay cannot be asked right now (logged).
    ChannelNotConfigured when the merchant has no Alipay app."""
    client = client_for(merchant)
    try:
        return client.api_alipay_trade_query(out_trade_no=out_trade_no)
    except CALL_ERRORS as exc:
        log.warning("alipay trade.query failed for %s: %s", out_trade_no, exc)
        return None


def paid_from_query(merchant, trade):
    """What a paid trade.query answer says. The query is signed by Alipay for our own app: app id and seller are
    the merchant's by construction."""
    return PaidTrade(amount=fen_from_text(trade.get("total_amount")), currency=None,
                     app_id=merchant.alipay_app_id or "", merchant_no=merchant.alipay_seller_id or "",
                     trade_no=(trade.get("trade_no") or "")[:64],
                     payer=(trade.get("buyer_user_id") or trade.get("buyer_open_id") or "")[:128] or None)


def close_trade(merchant, out_trade_no):
    """Close the trade on Alipay so the member can no longer pay it. True when it cannot be paid any more."""
    client = client_for(merchant)
    try:
        result = client.api_alipay_trade_close(out_trade_no=out_trade_no)
    except CALL_ERRORS as exc:
        log.warning("alipay trade.close failed for %s: %s", out_trade_no, exc)
        return False
    # TRADE_NOT_EXIST: the member never opened the cashier; the signed URL has expired (time_expire).
    return result.get("code") == "10000" or result.get("sub_code") == "ACQ.TRADE_NOT_EXIST"


# --- refund -------------------------------------------------------------------------------------------

OUT_REFUND_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_REASON = 256  # Alipay's refund_reason limit


class RefundRefused(Conflict):
    code = "refund_refused"


def refund(merchant, order, amount, out_refund_no, reason):
    """Refund `amount` fen of a paid Alipay order. Returns dict(refund_id, status="succeeded").

    Alipay's refund is synchronous: code 10000 means the money is on its way back, either now (fund_change "Y")
    or already by an earlier request with this out_refund_no ("N"), which is the retry we rely on after a timeout.
    Raises RefundRefused (a Conflict) with Alipay's reason, or when the answer cannot be trusted or was not read;
    in that case sending the same out_refund_no again is safe.
    """
    _check_refund(order, amount, out_refund_no)
    client = client_for(merchant)
    try:
        result = client.api_alipay_trade_refund(
            refund_amount=yuan_text(amount), out_trade_no=order.out_trade_no, out_request_no=out_refund_no,
            refund_reason=(reason or "").strip()[:MAX_REASON] or "退款")
    except AliPayValidationError:
        log.error("alipay trade.refund answer for %s did not verify", out_refund_no)
        raise RefundRefused("支付宝返回的数据验签失败，退款结果未知，请稍后用同一退款单重试") from None
    except (AliPayException, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay trade.refund failed for %s: %s", out_refund_no, exc)
        raise RefundRefused("无法连接支付宝，退款结果未知，请稍后用同一退款单重试") from None
    if result.get("code") != "10000":
        log.warning("alipay refused refund %s: %s", out_refund_no, result)
        raise RefundRefused(f"支付宝拒绝退款：{(result.get('sub_msg') or result.get('msg') or '未知原因')[:100]}",
                            sub_code=result.get("sub_code"))
    if result.get("out_trade_no") != order.out_trade_no or result.get("fund_change") not in ("Y", "N"):
        log.error("alipay trade.refund answered for another trade: %s", result)
        raise RefundRefused("支付宝返回的退款结果与订单不符，请联系支付宝核实")
    trade_no = result.get("trade_no") or order.channel_trade_no or ""
    # Alipay has no refund id of its own: a refund is named by the trade and our out_request_no.
    return {"refund_id": f"{trade_no}-{out_refund_no}"[:64], "status": "succeeded"}


def refund_result(merchant, order, record):
    """(succeeded | failed | processing, reason) of a refund still processing here, from
    alipay.trade.fastpay.refund.query. Alipay lists a refund only once it is made ("REFUND_SUCCESS", or no
    status at all from older gateways); a refund it does not know was never made. An answer that cannot be
    had or trusted right now leaves the refund processing for the next run."""
    try:
        result = client_for(merchant).api_alipay_trade_fastpay_refund_query(record.out_refund_no,
                                                                            out_trade_no=order.out_trade_no)
    except CALL_ERRORS as exc:
        log.warning("alipay refund query failed for %s: %s", record.out_refund_no, exc)
        return "processing", None
    if result.get("code") != "10000" or result.get("out_trade_no") not in (None, order.out_trade_no):
        return "processing", None
    if not result.get("refund_amount"):
        return "failed", "支付宝未受理该退款"
    if result.get("refund_status") in (None, "", "REFUND_SUCCESS"):
        return "succeeded", None
    return "processing", None


def _check_refund(order, amount, out_refund_no):
    if order.channel != "alipay" or not order.channel_trade_no:
        raise Conflict("该订单不是已支付的支付宝订单，无法原路退款")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= order.amount:
        raise Conflict("退款金额不正确")
    if not OUT_REFUND_NO.match(out_refund_no or ""):
        raise Conflict("退款单号不正确")
