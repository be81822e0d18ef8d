"""WeChat Pay JSAPI trades and their refunds, as services call them: the unified order (prepay), the order
query and close for an order whose notification never came, refund apply / query / status, and what a payment
or refund notification says once it is trusted.

The HTTP client, the v2 signatures and the XML parsing are in channels/wechat_pay.py; the notifications
themselves arrive at payments/ and are handled by services.orders.wechat_notifications and
services.orders.wechat_refund_notifications.
"""
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import requests
from flask import current_app
from wechatpy.crypto import WeChatRefundCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException

from channels import wechat_pay as wxpay
from channels.trade_answers import PaidTrade
from channels.wechat import ChannelNotConfigured
from domain.errors import Conflict, DomainError

CHINA = ZoneInfo("Asia/Shanghai")  # WeChat reads time_expire as Beijing time
CLOSABLE_STATES = ("NOTPAY", "CLOSED", "REVOKED", "PAYERROR")


class ChannelUnavailable(DomainError):
    code = "channel_unavailable"


class RefundRefused(Conflict):
    """WeChat refused the refund, or its answer could not be trusted: nothing may be booked as refunded."""

    code = "refund_refused"


class UnreadableRefundInfo(ValueError):
    """A refund notification's req_info that does not decrypt with the merchant's key, or not to text fields."""


OUT_REFUND_NO = re.compile(r"[A-Za-z0-9_\-|*@]{1,32}")  # WeChat's charset and length for out_refund_no
REFUND_DESC_MAX = 80
REFUND_FAILURES = {"REFUNDCLOSE": "微信支付退款已关闭", "CHANGE": "微信支付退款异常（如买家银行卡已注销）"}


def _public_base():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def notify_url(merchant):
    """Where WeChat sends the payment's result (payments/wechat.py)."""
    return f"{_public_base()}/payments/wechat/notify/{merchant.slug}"


def refund_notify_url(merchant):
    """Where WeChat sends the refund's final result (payments/wechat_refund_notify.py)."""
    return f"{_public_base()}/payments/wechat/refund-notify/{merchant.slug}"


# --- the JSAPI trade ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JsapiPayment:
    """A unified order's prepay_id and the signed parameters WeixinJSBridge getBrandWCPayRequest takes."""

    prepay_id: str
    params: dict


def create_jsapi_order(merchant, order, *, openid, client_ip):
    """WeChat's prepay_id for the order (a repeated identical request gets the same one back), paid as the
    WeChat user `openid`. ChannelNotConfigured without WeChat Pay, ChannelUnavailable when WeChat refuses or
    cannot be reached."""
    client = wxpay.pay_client_for(merchant)
    try:
        answer = client.order.create(
            trade_type="JSAPI", body=order.description, total_fee=order.amount, notify_url=notify_url(merchant),
            client_ip=client_ip, user_id=openid, out_trade_no=order.out_trade_no,
            fee_type=order.currency, time_start=order.created_at.astimezone(CHINA),
            time_expire=order.expires_at.astimezone(CHINA))
    except WeChatPayException as exc:
        raise ChannelUnavailable(f"微信支付下单失败：{exc.errmsg or exc.return_msg or exc.errcode}") from None
    except (InvalidSignatureException, requests.RequestException):
        raise ChannelUnavailable("微信支付暂时无法下单，请稍后再试") from None
    prepay_id = answer["prepay_id"]
    return JsapiPayment(prepay_id, client.jsapi_params(prepay_id))


def query_order(merchant, out_trade_no):
    """WeChat's signed answer about a trade; trade_state ORDERNOTEXIST when the member never reached WeChat's
    payment sheet. Any other refusal, a bad signature or the network raises."""
    try:
        return wxpay.pay_client_for(merchant).order.query(out_trade_no=out_trade_no)
    except WeChatPayException as exc:
        if exc.errcode != "ORDERNOTEXIST":
            raise
        return {"trade_state": "ORDERNOTEXIST"}


def close_order(merchant, out_trade_no):
    """Close an unpaid trade at WeChat so that it can no longer be paid; raises when WeChat does not."""
    wxpay.pay_client_for(merchant).order.close(out_trade_no)


def paid_trade(data):
    """What a verified "paid" (a notification or an order query) says, as services.orders.settlement.record_payment
    checks it against the order."""
    return PaidTrade(amount=int(data["total_fee"]) if str(data.get("total_fee", "")).isdigit() else -1,
                     currency=data.get("fee_type") or None, app_id=data.get("appid"), merchant_no=data.get("mch_id"),
                     trade_no=(data.get("transaction_id") or "")[:64] or None,
                     payer=(data.get("openid") or "")[:128] or None)


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


def refund_result(merchant, order, record):
    """(succeeded | failed | processing, reason) of a refund still processing here, from WeChat's refund query;
    the periodic job settles with it when the notification never came."""
    state = _refund_state(wxpay.pay_client_for(merchant), record.out_refund_no)
    if state == "SUCCESS":
        return "succeeded", None
    if state in REFUND_FAILURES:
        return "failed", REFUND_FAILURES[state]
    return "processing", None


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


def refund_info(merchant, data):
    """The req_info of a refund notification (`data`, parsed XML whose app id and merchant number are the
    merchant's), decrypted: AES-256-ECB with md5(API key), so only someone holding the key could have written
    it. A dict of strings; UnreadableRefundInfo otherwise."""
    try:
        info = WeChatRefundCrypto(merchant.wechat_pay_api_key).decrypt_message(data, data["appid"], data["mch_id"])
    except Exception:  # a wrong key yields bad padding, bytes that are not UTF-8 or not XML: all the same here
        raise UnreadableRefundInfo("req_info 解密失败") from None
    if not isinstance(info, dict) or not all(isinstance(v, str) or v is None for v in info.values()):
        raise UnreadableRefundInfo("req_info 内容无效")
    return {k: v or "" for k, v in info.items()}
