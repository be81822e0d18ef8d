"""Payment channels: WeChat Pay (JSAPI) and Alipay (wap). Each channel module starts a payment for an order
and receives the channel's notifications; both end in services.orders.orders.record_payment.

URLs: /payments/wechat/notify/<merchant_slug>, /payments/wechat/refund-notify/<merchant_slug> and
/payments/alipay/notify/<merchant_slug> (the channels call these, CSRF-exempt, verified by signature or, for
the refund result, by its encryption), and the member-facing start of a payment through `checkout.start`.
"""
from flask import Blueprint

from extensions import csrf

blueprint = Blueprint("payments", __name__, url_prefix="/payments")

from payments import alipay, checkout, wechat, wechat_refund_notify  # noqa: E402,F401  (routes register on import)


def register(app):
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
