"""The payment channels an order (Order.channel) or a till payment by payment code (Checkout.tender) is paid
with, by name, so that a service reaches the right one without knowing them all. Adding a channel is one line.

Each channel module provides
- `refund(merchant, order, amount, out_refund_no, reason) -> {"refund_id", "status": succeeded | processing}`,
  raising its RefundRefused (a Conflict) when no money may be booked as refunded; a repeated out_refund_no is the
  same refund;
- `refund_result(merchant, order, record) -> (succeeded | failed | processing, reason)` for a refund still
  processing (`record.out_refund_no`).
`order` only needs merchant_id, channel, out_trade_no, channel_trade_no, amount and currency.
"""
from channels import alipay_trades, wechat_pay_trades

CHANNELS = {"wechat": wechat_pay_trades, "alipay": alipay_trades}


def channel_for(name):
    """The channel module for an order's `channel` (KeyError for a name no channel has)."""
    return CHANNELS[name]
