"""WeChat Pay's payment notification (it arrives at payments/wechat.py): what it says, handled in WeChat's
documented order, and the PaymentNotification row every WeChat notification (payment or refund) is kept as.

Parse (16 KB at most), verify the signature with the merchant's key and sign type, find the order, check
result_code, then services.orders.channel_payments.settle_wechat records it
(services.orders.settlement.record_payment checks amount, currency, app id and merchant number, drops a repeat and
fulfils). The outcome decides WeChat's answer: SUCCESS only for an accepted payment or a repeat, FAIL otherwise
so that it retries and the merchant sees the row.
"""
from channels import wechat_pay as wxpay
from domain.errors import NotFound
from models import PaymentNotification
from services.merchant import merchants
from services.orders import channel_payments, orders


def handle(session, merchant_slug, body):
    """(outcome, detail, order id, out_trade_no, merchant id) for a notification `body` (None when it was too
    large); pays and fulfils the order when accepted."""
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
    outcome, detail = channel_payments.settle_wechat(session, merchant, order, data)
    return outcome, detail, order.id, out_trade_no, merchant.id


def keep(session, merchant_id, order_id, out_trade_no, outcome, detail, body):
    """A WeChat notification as received (None: it was too large), with its outcome. Flushes."""
    text = (body or b"").decode("utf-8", errors="replace")[:wxpay.MAX_XML_BYTES] if body is not None else "(too large)"
    session.add(PaymentNotification(merchant_id=merchant_id, order_id=order_id, channel="wechat",
                                    out_trade_no=(out_trade_no or None) and out_trade_no[:64], outcome=outcome,
                                    detail=(detail or "")[:200] or None, body=text))
    session.flush()
