"""Every channel an order can be paid with (domain.orders.CHANNELS) is reached the same way everywhere: an adapter
services call by name (channels/payment_channels.py), a start for the member's browser (member_h5/pay_start.py)
and a query for an overdue order (services/orders/channel_payments.py)."""
from channels import payment_channels
from domain import orders as order_rules
from member_h5 import pay_start
from services.orders import channel_payments


def test_does_every_payment_channel_have_an_adapter_a_start_and_a_query():
    assert set(payment_channels.CHANNELS) == set(order_rules.CHANNELS)
    assert set(pay_start.STARTERS) == set(order_rules.CHANNELS)
    assert set(channel_payments.SETTLE_BY_QUERY) == set(order_rules.CHANNELS)


def test_does_every_channel_adapter_offer_what_refunds_call():
    for name in order_rules.CHANNELS:
        channel = payment_channels.channel_for(name)
        assert callable(channel.refund) and callable(channel.refund_result), name
