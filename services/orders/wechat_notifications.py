"""WeChat Pay's payment notification (it arrives at payments/wechat.py): what it says, handled in WeChat's
documented order, and the PaymentNotification row every verified WeChat notification (payment or refund) is kept
as; one that does not verify is only counted (services.orders.notification_rejects).

Parse (16 KB at most) and verify the signature with the merchant's key and sign type (`verified`), then find the
order, check result_code, then services.orders.channel_payments.settle_wechat records it
(services.orders.settlement.record_payment checks amount, currency, app id and merchant number, drops a repeat and
fulfils). The outcome decides WeChat's answer: SUCCESS only for an accepted payment or a repeat, FAIL otherwise
so that it retries and the merchant sees the row.
"""
from channels import wechat_pay as wxpay
from models import PaymentNotification
from services.orders import channel_payments, orders
from services.orders.notification_rejects import Unverified


def verified(merchant, body):
    """The notification's fields once its signature verifies with the merchant's key and sign type; Unverified
    (malformed or bad_signature) otherwise, before anything is looked up."""
    try:
        data = wxpay.parse_xml(body)
    except wxpay.MalformedXml as exc:
        raise Unverified("malformed", f"报文格式错误：{exc}") from None
    if data.get("return_code") != "SUCCESS":  # a communication failure notice carries no signature
        raise Unverified("bad_signature", f"return_code={data.get('return_code', '')[:20]}")
    if not wxpay.configured(merchant) or not wxpay.signature_ok(data, merchant.wechat_pay_api_key,
                                                                  merchant.wechat_pay_sign_type):
        raise Unverified("bad_signature", "签名错误")
    return data


def handle(session, merchant, data):
    """(outcome, detail, order id, out_trade_no) for verified fields; pays and fulfils the order when accepted."""
    out_trade_no = data.get("out_trade_no", "")[:64]
    order = orders.by_out_trade_no(session, out_trade_no, merchant.id)
    if order is None or order.channel != "wechat":
        return "unknown_order", "订单不存在", None, out_trade_no
    if data.get("result_code") != "SUCCESS":
        return "not_paid", f"result_code={data.get('result_code', '')[:20]}", order.id, out_trade_no
    outcome, detail = channel_payments.settle_wechat(session, merchant, order, data)
    return outcome, detail, order.id, out_trade_no


def keep(session, merchant_id, order_id, out_trade_no, outcome, detail, body):
    """A verified WeChat notification (payment or refund) as received, with its outcome. Flushes."""
    text = body.decode("utf-8", errors="replace")[:wxpay.MAX_XML_BYTES]
    session.add(PaymentNotification(merchant_id=merchant_id, order_id=order_id, channel="wechat",
                                    out_trade_no=(out_trade_no or None) and out_trade_no[:64], outcome=outcome,
                                    detail=(detail or "")[:200] or None, body=text))
    session.flush()
