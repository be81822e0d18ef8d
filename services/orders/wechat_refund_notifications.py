"""WeChat Pay's refund result notification (it arrives at payments/wechat_refund_notify.py): what it says and
the refund it settles.

Unlike a payment notification it carries no signature: the details are in `req_info`, AES-256-ECB encrypted
with md5(API key), so only someone holding the merchant's key could have written it
(channels.wechat_pay_trades.refund_info decrypts it). Handled in this order: parse (16 KB at most), app id and
merchant number, decrypt (`verified`: what fails here is only counted, services.orders.notification_rejects), find our refund by out_refund_no within the merchant (an order's, or a till
payment's), check it is that payment's refund of this amount, then settle it (services.orders.refund_results or
services.till.channel_refunds, once however many copies arrive). The outcome decides WeChat's answer: SUCCESS
only when the result is recorded or already was, FAIL otherwise (it retries, and the merchant sees the row).
"""
from channels import wechat_pay as wxpay, wechat_pay_trades
from channels.wechat_pay_trades import REFUND_FAILURES
from models import Order
from models.checkout import Checkout
from services.orders import refund_results
from services.orders.notification_rejects import Unverified
from services.till import channel_refunds as till_channel_refunds

FINAL_STATES = ("SUCCESS", *REFUND_FAILURES)


def handle(session, merchant, info):
    """(outcome, detail, order id, out_trade_no) for a decrypted notification (`verified`); settles the refund
    when accepted."""
    out_trade_no = info.get("out_trade_no", "")[:64]
    record = refund_results.by_out_refund_no(session, merchant.id, info.get("out_refund_no", ""))
    if record is None:
        return _till_refund(session, merchant, info, out_trade_no)
    order = session.get(Order, record.order_id)
    if order.channel != "wechat" or out_trade_no != order.out_trade_no or info.get("refund_fee") != str(record.amount):
        return "mismatch", "退款通知：订单或退款金额与退款记录不符", order.id, out_trade_no
    status = info.get("refund_status", "")
    if status not in FINAL_STATES:
        return "error", f"退款通知：未知退款状态 {status[:20]}", order.id, out_trade_no
    settled = refund_results.settle(session, record, status == "SUCCESS", reason=REFUND_FAILURES.get(status))
    return ("accepted" if settled else "duplicate"), None, order.id, out_trade_no


def _till_refund(session, merchant, info, out_trade_no):
    """A refund of a till payment by payment code (services/till/channel_refunds.py), checked the same way."""
    row = till_channel_refunds.by_out_refund_no(session, merchant.id, info.get("out_refund_no", ""))
    if row is None:
        return "unknown_order", "退款通知：退款单不存在", None, out_trade_no
    checkout = session.get(Checkout, row.checkout_id)
    if checkout.tender != "wechat" or out_trade_no != checkout.out_trade_no \
            or info.get("refund_fee") != str(row.amount - row.balance_back):
        return "mismatch", "退款通知：收银单或退款金额与退款记录不符", None, out_trade_no
    status = info.get("refund_status", "")
    if status not in FINAL_STATES:
        return "error", f"退款通知：未知退款状态 {status[:20]}", None, out_trade_no
    settled = till_channel_refunds.record_result(session, row, status == "SUCCESS", REFUND_FAILURES.get(status))
    return ("accepted" if settled else "duplicate"), None, None, out_trade_no


def verified(merchant, body):
    """req_info, decrypted with the merchant's key, as a dict of strings; Unverified (malformed or
    bad_signature) for anything that cannot be trusted, before anything is looked up."""
    try:
        data = wxpay.parse_xml(body)
    except wxpay.MalformedXml as exc:
        raise Unverified("malformed", f"退款通知：报文格式错误 {exc}") from None
    if data.get("return_code") != "SUCCESS":
        raise Unverified("bad_signature", f"退款通知：return_code={data.get('return_code', '')[:20]}")
    if not wxpay.configured(merchant) or data.get("appid") != merchant.wechat_app_id \
            or data.get("mch_id") != merchant.wechat_pay_mch_id or not data.get("req_info"):
        raise Unverified("bad_signature", "退款通知：公众号或商户号不符")
    try:
        return wechat_pay_trades.refund_info(merchant, data)
    except wechat_pay_trades.UnreadableRefundInfo as exc:
        raise Unverified("bad_signature", f"退款通知：{exc}") from None
