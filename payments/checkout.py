"""Start paying an order on its channel. Each channel module provides `start(merchant, order) -> response`:
WeChat renders the JSAPI page (WeixinJSBridge with signed parameters), Alipay redirects to its wap cashier.
Channel modules are listed here so that adding one is one line."""
import importlib

CHANNEL_MODULES = {"wechat": "payments.wechat", "alipay": "payments.alipay"}


def channel_module(channel):
    return importlib.import_module(CHANNEL_MODULES[channel])


def start(merchant, order):
    """The response that takes the member's browser to pay `order` (created, not expired)."""
    return channel_module(order.channel).start(merchant, order)
