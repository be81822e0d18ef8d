"""WeChat Pay's refund result notification (it arrives at payments/wechat_refund_notify.py): what it says and
the refund it settles.

Unlike a payment notification it carries no signature: the details are in `req_info`, AES-256-ECB encrypted
with md5(API key), so only someone holding the merchant's key could have written it
(channels.wechat_pay_trades.refund_info decrypts it). Handled in this order: parse (16 KB at most), app id and
merchant number, decrypt, find our refund by out_refund_no within the merchant (an order's, or a till
payment's), check it is that payment's refund of this amount, then settle it (services.orders.refund_results or
services.till.channel_refunds, once however many copies arrive). The outcome decides WeChat's answer: SUCCESS
only when the result is recorded or already was, FAIL otherwise (it retries, and the merchant sees the row).
"""
from channels import wechat_pay as wxpay, wechat_pay_trades
from channels.wechat_pay_trades import REFUND_FAILURES
from domain.errors import NotFound
from models import Order
from models.checkout import Checkout
from services.merchant import merchants
from services.orders import refund_results
from services.till import channel_refunds as till_channel_refunds

FINAL_STATES = ("SUCCESS", *REFUND_FAILURES)


def handle(session, merchant_slug, body):
    """(outcome, detail, order id, out_trade_no, merchant id) for a notification `body` (None when it was too
    large); settles the refund when accepted."""
    try:
        merchant = merchants.by_slug(session, merchant_slug)
    except NotFound:
        return "unknown_order", "退款通知：商户不存在", None, None, None
    info, problem = _decrypted(merchant, body)
    if problem:
        return *problem, None, None, merchant.id
    out_trade_no = info.get("out_trade_no", "")[:64]
    record = refund_results.by_out_refund_no(session, merchant.id, info.get("out_refund_no", ""))
    if record is None:
        return _till_refund(session, merchant, info, out_trade_no)
    order = session.get(Order, record.order_id)
    if order.channel != "wechat" or out_trade_no != order.out_trade_no or info.get("refund_fee") != str(record.amount):
        return "mismatch", "退款通知：订单或退款金额与退款记录不符", order.id, out_trade_no, merchant.id
    status = info.get("refund_status", "")
    if status not in FINAL_STATES:
        return "error", f"退款通知：未知退款状态 {status[:20]}", order.id, out_trade_no, merchant.id
    settled = refund_results.settle(session, record, status == "SUCCESS", reason=REFUND_FAILURES.get(status))
    return ("accepted" if settled else "duplicate"), None, order.id, out_trade_no, merchant.id


def _till_refund(session, merchant, info, out_trade_no):
    """A refund of a till payment by payment code (services/till/channel_refunds.py), checked the same way."""
    row = till_channel_refunds.by_out_refund_no(session, merchant.id, info.get("out_refund_no", ""))
    if row is None:
        return "unknown_order", "退款通知：退款单不存在", None, out_trade_no, merchant.id
    checkout = session.get(Checkout, row.checkout_id)
    if checkout.tender != "wechat" or out_trade_no != checkout.out_trade_no \
            or info.get("refund_fee") != str(row.amount - row.balance_back):
        return "mismatch", "退款通知：收银单或退款金额与退款记录不符", None, out_trade_no, merchant.id
    status = info.get("refund_status", "")
    if status not in FINAL_STATES:
        return "error", f"退款通知：未知退款状态 {status[:20]}", None, out_trade_no, merchant.id
    settled = till_channel_refunds.record_result(session, row, status == "SUCCESS", REFUND_FAILURES.get(status))
    return ("accepted" if settled else "duplicate"), None, None, out_trade_no, merchant.id


def _decrypted(merchant, body):
    """(req_info as a dict of strings, None) or (None, (outcome, detail)) for what cannot be trusted."""
    if body is None:
        return None, ("error", "退款通知：报文超过 16 KB")
    try:
        data = wxpay.parse_xml(body)
    except wxpay.MalformedXml as exc:
        return None, ("error", f"退款通知：报文格式错误 {exc}")
    if data.get("return_code") != "SUCCESS":
        return None, ("error", f"退款通知：return_code={data.get('return_code', '')[:20]}")
    if not wxpay.configured(merchant) or data.get("appid") != merchant.wechat_app_id \
            or data.get("mch_id") != merchant.wechat_pay_mch_id or not data.get("req_info"):
        return None, ("bad_signature", "退款通知：公众号或商户号不符")
    try:
        return wechat_pay_trades.refund_info(merchant, data), None
    except wechat_pay_trades.UnreadableRefundInfo as exc:
        return None, ("bad_signature", f"退款通知：{exc}")
