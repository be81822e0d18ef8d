"""WeChat Pay JSAPI: start a payment (unified order, then WeixinJSBridge on the member's phone), receive the
result notifications, and ask WeChat about an order whose notification never came.

A notification is handled in WeChat's documented order: parse (16 KB at most), verify the signature with the
merchant's key and sign type, find the order, check result_code, then services.orders.orders.record_payment checks
amount, currency, app id and merchant number, drops a repeat and fulfils. Every notification is kept with its
outcome; WeChat gets SUCCESS only for an accepted payment or a repeat, FAIL otherwise so that it retries and
the merchant sees the row.
"""
import logging
import re
from zoneinfo import ZoneInfo

import requests
from flask import current_app, make_response, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException

from channels import wechat_pay as wxpay
from channels.wechat import ChannelNotConfigured
from domain import orders as rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound
from extensions import db
from models import MemberIdentity, PaymentNotification
from payments import blueprint
from services.merchant import merchants
from services.orders import orders
from services.orders.orders import PaymentMismatch

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")  # WeChat reads time_expire as Beijing time
CLOSABLE_STATES = ("NOTPAY", "CLOSED", "REVOKED", "PAYERROR")


class ChannelUnavailable(DomainError):
    code = "channel_unavailable"


class RefundRefused(Conflict):
    """WeChat refused the refund, or its answer could not be trusted: nothing may be booked as refunded."""

    code = "refund_refused"


OUT_REFUND_NO = re.compile(r"[A-Za-z0-9_\-|*@]{1,32}")  # WeChat's charset and length for out_refund_no
REFUND_DESC_MAX = 80


# --- starting a payment -------------------------------------------------------------------------------------

def payer_openid(session, merchant, member_id):
    """The member's openid under the merchant's official account: JSAPI pays as that WeChat user."""
    return session.scalars(select(MemberIdentity.value).where(
        MemberIdentity.merchant_id == merchant.id, MemberIdentity.member_id == member_id,
        MemberIdentity.kind == "wechat_openid", MemberIdentity.app_id == (merchant.wechat_app_id or ""),
        MemberIdentity.active.is_(True)).order_by(MemberIdentity.id.desc()).limit(1)).first()


def notify_url(merchant):
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/payments/wechat/notify/{merchant.slug}"


def prepay(merchant, order):
    """WeChat's prepay_id for the order (a repeated identical request gets the same one back)."""
    now = now_utc()
    if order.state != rules.CREATED or order.expires_at <= now:
        raise Conflict("订单已支付、已关闭或已超时，请重新下单", state=order.state)
    openid = payer_openid(db.session, merchant, order.member_id)
    if not openid:
        raise DomainError("请在微信中打开会员中心后再支付")
    client = wxpay.pay_client_for(merchant)
    try:
        answer = client.order.create(
            trade_type="JSAPI", body=order.description, total_fee=order.amount, notify_url=notify_url(merchant),
            client_ip=(request.remote_addr or "127.0.0.1")[:45], user_id=openid, out_trade_no=order.out_trade_no,
            fee_type=order.currency, time_start=order.created_at.astimezone(CHINA),
            time_expire=order.expires_at.astimezone(CHINA))
    except WeChatPayException as exc:
        raise ChannelUnavailable(f"微信支付下单失败：{exc.errmsg or exc.return_msg or exc.errcode}") from None
    except (InvalidSignatureException, requests.RequestException):
        raise ChannelUnavailable("微信支付暂时无法下单，请稍后再试") from None
    return client, answer["prepay_id"]


def start(merchant, order):
    """The page that opens WeChat's payment sheet; in the sandbox it also links to the sandbox cashier."""
    client, prepay_id = prepay(merchant, order)
    done = done_url(merchant, order)
    cashier = None
    if current_app.config.get("SANDBOX_ENABLED") and "/sandbox/" in current_app.config["WECHAT_PAY_BASE"]:
        cashier = url_for("sandbox.wechatpay_cashier", prepay_id=prepay_id, **{"return": done})
    return render_template("payments/wechat_pay.html", merchant=merchant, order=order,
                           params=client.jsapi_params(prepay_id), done_url=done, cashier_url=cashier)


def done_url(merchant, order):
    """Where the member lands after paying: the order's page when the H5 has one, the member centre otherwise."""
    try:
        return url_for("member_h5.order_detail", merchant_slug=merchant.slug, order_id=order.id)
    except BuildError:
        return url_for("member_h5.centre", merchant_slug=merchant.slug)


# --- notifications -------------------------------------------------------------------------------------------

def _answer(accepted, message="OK"):
    code = "SUCCESS" if accepted else "FAIL"
    response = make_response(wxpay.dict_to_xml({"return_code": code, "return_msg": message}))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return response


def _read_body():
    """At most 16 KB plus one byte (to tell a too-long body apart), whatever Content-Length claims."""
    if (request.content_length or 0) > wxpay.MAX_XML_BYTES:
        return None
    try:
        body = request.stream.read(wxpay.MAX_XML_BYTES + 1)
    except RequestEntityTooLarge:
        return None
    return None if len(body) > wxpay.MAX_XML_BYTES else body


@blueprint.route("/wechat/notify/<merchant_slug>", methods=["POST"])
def wechat_notify(merchant_slug):
    return answer_notification(merchant_slug, handle_notification, "WeChat Pay notification")


def answer_notification(merchant_slug, handler, what):
    """Run handler(session, slug, body) -> (outcome, detail, order id, out_trade_no, merchant id), keep the
    notification with its outcome and answer WeChat: SUCCESS for accepted or duplicate, FAIL otherwise."""
    body = _read_body()
    try:
        outcome, detail, order_id, out_trade_no, merchant_id = handler(db.session, merchant_slug, body)
        _keep(db.session, merchant_id, order_id, out_trade_no, outcome, detail, body)
        db.session.commit()
    except Exception:
        # A crash must still answer WeChat (FAIL, so it retries) and leave a trace; nothing it did is kept.
        db.session.rollback()
        log.exception("%s for %s failed", what, merchant_slug)
        outcome = "error"
        _keep_after_crash(body, what)
    accepted = outcome in ("accepted", "duplicate")
    if not accepted:
        log.warning("%s for %s refused: %s", what, merchant_slug, outcome)
    return _answer(accepted, "OK" if accepted else outcome)


def _keep_after_crash(body, what):
    try:
        _keep(db.session, None, None, None, "error", "处理异常", body)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not keep the failed %s", what)


def _keep(session, merchant_id, order_id, out_trade_no, outcome, detail, body):
    text = (body or b"").decode("utf-8", errors="replace")[:wxpay.MAX_XML_BYTES] if body is not None else "(too large)"
    session.add(PaymentNotification(merchant_id=merchant_id, order_id=order_id, channel="wechat",
                                    out_trade_no=(out_trade_no or None) and out_trade_no[:64], outcome=outcome,
                                    detail=(detail or "")[:200] or None, body=text))
    session.flush()


def handle_notification(session, merchant_slug, body):
    """(outcome, detail, order id, out_trade_no, merchant id); pays and fulfils the order when accepted."""
    try:
        merchant = merchants.by_slug(session, merchant_slug)
    except NotFound:
        return "unknown_order", "商户不存在", None, None, None
    if body is None:
        return "error", "报文超过 16 KB", None, None, merchant.id
    try:
        data = wxpay.parse_xml(body)
    except wxpay.MalformedXml as exc:
        return "error", f"报文格式错误：{exc}", None, None, merchant.id
    out_trade_no = data.get("out_trade_no", "")[:64]
    if data.get("return_code") != "SUCCESS":
        return "not_paid", f"return_code={data.get('return_code', '')[:20]}", None, out_trade_no, merchant.id
    if not wxpay.configured(merchant) or not wxpay.signature_ok(data, merchant.wechat_pay_api_key,
                                                                  merchant.wechat_pay_sign_type):
        return "bad_signature", "签名错误", None, out_trade_no, merchant.id
    order = orders.by_out_trade_no(session, out_trade_no, merchant.id)
    if order is None or order.channel != "wechat":
        return "unknown_order", "订单不存在", None, out_trade_no, merchant.id
    if data.get("result_code") != "SUCCESS":
        return "not_paid", f"result_code={data.get('result_code', '')[:20]}", order.id, out_trade_no, merchant.id
    outcome, detail = settle(session, merchant, order, data)
    return outcome, detail, order.id, out_trade_no, merchant.id


def settle(session, merchant, order, data):
    """Record a verified 'paid' from WeChat (a notification or an order query): (outcome, detail)."""
    amount = int(data["total_fee"]) if str(data.get("total_fee", "")).isdigit() else -1
    expected = rules.Expected(amount=order.amount, currency=order.currency, app_id=merchant.wechat_app_id,
                              merchant_no=merchant.wechat_pay_mch_id)
    try:
        paid = orders.record_payment(session, merchant, order, amount=amount, currency=data.get("fee_type") or None,
                                     app_id=data.get("appid"), merchant_no=data.get("mch_id"),
                                     channel_trade_no=(data.get("transaction_id") or "")[:64] or None,
                                     payer=(data.get("openid") or "")[:128] or None, expected=expected)
    except PaymentMismatch as exc:
        session.rollback()
        return "mismatch", str(exc)
    except Conflict as exc:
        session.rollback()
        return "error", str(exc)
    return ("accepted", None) if paid else ("duplicate", None)


# --- the query job's side ----------------------------------------------------------------------------------

def query_and_settle(session, merchant, order):
    """Ask WeChat about an overdue unpaid order: paid -> record it (as a notification would); unpaid -> close it
    at WeChat first, then here. Returns what happened: paid, duplicate, closed, pending or mismatch."""
    client = wxpay.pay_client_for(merchant)
    try:
        answer = client.order.query(out_trade_no=order.out_trade_no)
    except WeChatPayException as exc:
        if exc.errcode != "ORDERNOTEXIST":
            raise
        answer = {"trade_state": "ORDERNOTEXIST"}  # the member never reached WeChat's payment sheet
    state = answer.get("trade_state")
    if state == "SUCCESS":
        outcome, _detail = settle(session, merchant, order, answer)
        return {"accepted": "paid"}.get(outcome, outcome)
    if state in CLOSABLE_STATES or state == "ORDERNOTEXIST":
        if state not in ("CLOSED", "ORDERNOTEXIST"):
            client.order.close(order.out_trade_no)
        return "closed" if orders.close_if_unpaid(session, order) else "unchanged"
    return "pending"  # USERPAYING: the member is entering the password right now


# --- refunds -----------------------------------------------------------------------------------------------

def refund(merchant, order, amount, out_refund_no, reason):
    """Refund `amount` fen of a paid order through WeChat Pay: {"refund_id", "status"} where status is
    "succeeded" or "processing" (WeChat accepted it and pays it back later). WeChat treats a repeated
    out_refund_no as the same refund, so calling again after a timeout never refunds twice."""
    _check_refund_request(merchant, order, amount, out_refund_no)
    try:
        client = wxpay.refund_client_for(merchant)
    except ChannelNotConfigured as exc:
        raise RefundRefused(str(exc)) from None
    desc = (reason or "").strip()[:REFUND_DESC_MAX] or None
    try:
        answer = client.refund.apply(total_fee=order.amount, refund_fee=amount, out_refund_no=out_refund_no,
                                     out_trade_no=order.out_trade_no, fee_type=order.currency,
                                     refund_desc=desc, notify_url=refund_notify_url(merchant))
    except WeChatPayException as exc:
        raise RefundRefused(f"微信支付拒绝退款：{exc.errmsg or exc.return_msg or exc.errcode or '网络异常'}",
                            err_code=exc.errcode) from None
    except (InvalidSignatureException, requests.RequestException):
        raise RefundRefused("微信支付退款应答无法验证或网络异常，请稍后用同一退款单号重试") from None
    _check_refund_answer(merchant, order, amount, out_refund_no, answer)
    return {"refund_id": answer["refund_id"], "status": refund_status(client, out_refund_no)}


def _check_refund_request(merchant, order, amount, out_refund_no):
    if order.merchant_id != merchant.id or order.channel != "wechat":
        raise RefundRefused("该订单不是本商户的微信支付订单")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= order.amount:
        raise RefundRefused("退款金额无效")
    if not isinstance(out_refund_no, str) or not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise RefundRefused("退款单号无效（最多 32 位字母、数字或 _-|*@）")


def _check_refund_answer(merchant, order, amount, out_refund_no, answer):
    """A signed answer must still be about this refund: the signature proves who spoke, not what about."""
    expected = {"appid": merchant.wechat_app_id, "mch_id": merchant.wechat_pay_mch_id,
                "out_trade_no": order.out_trade_no, "out_refund_no": out_refund_no, "refund_fee": str(amount)}
    if any(answer.get(field) != value for field, value in expected.items()) or not answer.get("refund_id"):
        raise RefundRefused("微信支付退款应答与退款申请不一致，请到商户平台核对")


def refund_notify_url(merchant):
    """Where WeChat sends the refund's final result (payments/wechat_refund_notify.py)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/payments/wechat/refund-notify/{merchant.slug}"


def refund_result(merchant, order, record):
    """(succeeded | failed | processing, reason) of a refund still processing here, from WeChat's refund query;
    the periodic job settles with it when the notification never came."""
    state = _refund_state(wxpay.pay_client_for(merchant), record.out_refund_no)
    if state == "SUCCESS":
        return "succeeded", None
    if state in REFUND_FAILURES:
        return "failed", REFUND_FAILURES[state]
    return "processing", None


REFUND_FAILURES = {"REFUNDCLOSE": "微信支付退款已关闭", "CHANGE": "微信支付退款异常（如买家银行卡已注销）"}


def _refund_state(client, out_refund_no):
    """WeChat's refund_status for our refund number (SUCCESS, PROCESSING, REFUNDCLOSE, CHANGE); None when it
    cannot be asked right now or WeChat does not list it, which leaves the refund processing."""
    try:
        answer = client.refund.query(out_refund_no=out_refund_no)
    except (WeChatPayException, InvalidSignatureException, requests.RequestException):
        return None
    count = answer.get("refund_count") or ""
    index = next((i for i in range(min(int(count), 50) if count.isdigit() else 0)
                  if answer.get(f"out_refund_no_{i}") == out_refund_no), None)
    return answer.get(f"refund_status_{index}") if index is not None else None


def refund_status(client, out_refund_no):
    """succeeded / processing from WeChat's refund query; an accepted refund that cannot be queried right now
    is still on its way (processing). A closed or failed refund raises: no money went back."""
    state = _refund_state(client, out_refund_no)
    if state == "SUCCESS":
        return "succeeded"
    if state == "REFUNDCLOSE":
        raise RefundRefused("微信支付退款已关闭，款项未退回")
    if state == "CHANGE":
        raise RefundRefused("微信支付退款异常（如买家银行卡已注销），请到商户平台处理")
    return "processing"
