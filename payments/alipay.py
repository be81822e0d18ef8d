"""Alipay wap pay: the redirect to the cashier, the asynchronous notification, and the query for a lost one.

The notification is handled in Alipay's documented order: verify the RSA2 signature against Alipay's public
key, drop duplicates, accept only a paid trade status, then check amount, app id and seller id against the
order (services.orders.orders.record_payment). Alipay keeps retrying until it reads the plain text "success", so
that answer is given only when the payment is recorded (or already was); everything else answers "failure".
Every notification is kept in PaymentNotification whatever its outcome.

`refund` asks `alipay.trade.refund` for part or all of a paid order; our out_refund_no is Alipay's
out_request_no, so sending the same refund again never moves money twice.
"""
import logging
import re
from urllib.error import URLError
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay.exceptions import AliPayException, AliPayValidationError
from flask import current_app, redirect, request
from sqlalchemy import select

from channels.alipay import client_for
from domain import orders as rules
from domain.errors import Conflict, DomainError
from extensions import db
from models import Merchant, PaymentNotification
from payments import blueprint
from services.orders import orders

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024  # a real notification is about 1.5 KB
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
ALIPAY_TIMEZONE = ZoneInfo("Asia/Shanghai")  # time_expire is read as Beijing time
_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
ACCEPTED, REFUSED = "success", "failure"


class NotificationRefused(Exception):
    """Why a notification is not accepted: the PaymentNotification outcome and a short detail."""

    def __init__(self, outcome, detail, order=None):
        super().__init__(detail)
        self.outcome, self.detail, self.order = outcome, detail, order


# --- start ------------------------------------------------------------------------------------------

def start(merchant, order):
    """Redirect the member's browser to Alipay's wap cashier for this created order."""
    if order.state != rules.CREATED:
        raise Conflict("订单已支付或已关闭，无需再次支付", state=order.state)
    client = client_for(merchant)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return_url = f"{base}/h5/{merchant.slug}/orders/{order.id}"
    query = client.api_alipay_trade_wap_pay(
        subject=order.description, out_trade_no=order.out_trade_no, total_amount=yuan_text(order.amount),
        return_url=return_url, notify_url=f"{base}/payments/alipay/notify/{merchant.slug}",
        quit_url=return_url, time_expire=_beijing(order.expires_at))
    return redirect(f"{current_app.config['ALIPAY_GATEWAY']}?{query}")


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


# --- notification -----------------------------------------------------------------------------------

@blueprint.route("/alipay/notify/<merchant_slug>", methods=["POST"])
def alipay_notify(merchant_slug):
    raw = _read_body()
    merchant = order = None
    try:
        if raw is None:
            raise NotificationRefused("error", "body missing or larger than 16 KB")
        merchant = db.session.scalars(select(Merchant).where(Merchant.slug == merchant_slug[:64])).one_or_none()
        if merchant is None:
            raise NotificationRefused("unknown_order", f"unknown merchant {merchant_slug[:60]}")
        fields = _parse(raw)
        order, outcome = _process(merchant, fields)
        detail = f"trade_no {fields.get('trade_no', '')[:64]}"
    except NotificationRefused as refused:
        db.session.rollback()
        outcome, detail, order = refused.outcome, refused.detail, refused.order
        log.warning("alipay notification refused for %s: %s %s", merchant_slug[:64], outcome, detail)
    except Exception:  # noqa: BLE001 - Alipay must read "failure" and retry, never a 500
        db.session.rollback()
        log.exception("alipay notification failed for %s", merchant_slug[:64])
        outcome, detail = "error", "internal error"
    kept = _keep(merchant, order, raw, outcome, detail)
    # The payment commits with its log row: if that commit failed, nothing was recorded and Alipay must retry.
    answer = ACCEPTED if kept and outcome in ("accepted", "duplicate") else REFUSED
    return answer, 200, {"Content-Type": "text/plain; charset=utf-8"}


def _read_body():
    length = request.content_length
    if length is None or length > MAX_BODY:
        return None
    return request.get_data(cache=False)


def _parse(raw):
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise NotificationRefused("error", "malformed body") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotificationRefused("error", "repeated field")
    return fields


def _process(merchant, fields):
    """Verify, then record. Returns (order, outcome); raises NotificationRefused; commits the payment."""
    _verify(merchant, fields)
    order = orders.by_out_trade_no(db.session, fields.get("out_trade_no"), merchant.id)
    if order is None or order.channel != "alipay":
        raise NotificationRefused("unknown_order", f"out_trade_no {fields.get('out_trade_no', '')[:64]}")
    if order.state != rules.CREATED and order.channel_trade_no == fields.get("trade_no"):
        return order, "duplicate"
    if fields.get("trade_status") not in PAID_STATUSES:
        raise NotificationRefused("not_paid", f"trade_status {fields.get('trade_status', '')[:32]}", order)
    paid = _record(merchant, order, amount=fen_from_text(fields.get("total_amount")), app_id=fields.get("app_id"),
                   seller_id=fields.get("seller_id"), trade_no=fields.get("trade_no"),
                   payer=fields.get("buyer_id") or fields.get("buyer_open_id"))
    return order, "accepted" if paid else "duplicate"


def _verify(merchant, fields):
    data = {key: value for key, value in fields.items() if key not in ("sign", "sign_type")}
    if fields.get("sign_type") != "RSA2" or not fields.get("sign"):
        raise NotificationRefused("bad_signature", f"sign_type {fields.get('sign_type', '')[:16]}")
    try:
        valid = client_for(merchant).verify(data, fields["sign"])
    except (ValueError, TypeError, AliPayException):
        valid = False
    if not valid:
        raise NotificationRefused("bad_signature", "RSA2 signature does not verify")


def _record(merchant, order, *, amount, app_id, seller_id, trade_no, payer):
    """record_payment with what the order expects; a mismatch or a closed order is refused, nothing changed."""
    expected = rules.Expected(amount=order.amount, currency=order.currency, app_id=merchant.alipay_app_id or "",
                              merchant_no=merchant.alipay_seller_id or "")
    try:
        return orders.record_payment(db.session, merchant, order, amount=amount, currency=None, app_id=app_id,
                                     merchant_no=seller_id, channel_trade_no=(trade_no or "")[:64],
                                     payer=(payer or "")[:128] or None, expected=expected)
    except orders.PaymentMismatch as exc:
        raise NotificationRefused("mismatch", str(exc)[:200], order) from None
    except DomainError as exc:
        # Paid on Alipay after we closed it: the money is real and must be refunded by hand.
        log.error("alipay paid order %s in state %s: %s", order.out_trade_no, order.state, exc)
        raise NotificationRefused("error", f"order not payable: {exc}"[:200], order) from None


def _keep(merchant, order, raw, outcome, detail):
    """The notification as received, with its outcome, committed with the payment it made. False if not stored."""
    try:
        db.session.add(PaymentNotification(
            merchant_id=merchant.id if merchant else None, order_id=order.id if order else None, channel="alipay",
            out_trade_no=_field(raw, "out_trade_no"), outcome=outcome, detail=(detail or "")[:200],
            body=(raw or b"").decode("utf-8", "replace")[:MAX_BODY]))
        db.session.commit()
        return True
    except Exception:  # noqa: BLE001 - answered "failure" by the caller, never a 500
        db.session.rollback()
        log.exception("could not keep an alipay notification (%s)", outcome)
        return False


def _field(raw, name):
    try:
        return dict(parse_qsl((raw or b"").decode("utf-8"), keep_blank_values=True)).get(name, "")[:64] or None
    except (UnicodeDecodeError, ValueError):
        return None


# --- query for the unpaid-order job -----------------------------------------------------------------

def query_and_settle(session, merchant, order):
    """Ask Alipay about an unpaid order past its time (services.orders.orders.overdue decides which): paid -> record
    it; not paid -> close it there and here.

    Returns "paid", "closed" or "pending" (Alipay could not say; asked again on the next run). Flushes, never
    commits. Raises PaymentMismatch when a paid trade disagrees with the order, ChannelNotConfigured when the
    merchant has no Alipay app.
    """
    client = client_for(merchant)
    try:
        trade = client.api_alipay_trade_query(out_trade_no=order.out_trade_no)
    except (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay trade.query failed for %s: %s", order.out_trade_no, exc)
        return "pending"
    status = trade.get("trade_status") if trade.get("code") == "10000" else None
    if status in PAID_STATUSES:
        expected = rules.Expected(amount=order.amount, currency=order.currency, app_id=merchant.alipay_app_id or "",
                                  merchant_no=merchant.alipay_seller_id or "")
        # The query is signed by Alipay for our own app: app id and seller are ours by construction.
        orders.record_payment(session, merchant, order, amount=fen_from_text(trade.get("total_amount")),
                              currency=None, app_id=expected.app_id, merchant_no=expected.merchant_no,
                              channel_trade_no=(trade.get("trade_no") or "")[:64],
                              payer=(trade.get("buyer_user_id") or trade.get("buyer_open_id") or "")[:128] or None,
                              expected=expected)
        return "paid"
    if status is None and trade.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
        log.warning("alipay trade.query unclear for %s: %s", order.out_trade_no, trade)
        return "pending"
    if status in (None, "WAIT_BUYER_PAY") and not _closed_on_alipay(client, order):
        return "pending"
    orders.close_if_unpaid(session, order)
    return "closed"


def _closed_on_alipay(client, order):
    """Close the trade on Alipay so the member can no longer pay it. True when it cannot be paid any more."""
    try:
        result = client.api_alipay_trade_close(out_trade_no=order.out_trade_no)
    except (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay trade.close failed for %s: %s", order.out_trade_no, exc)
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
    except (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError) as exc:
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
