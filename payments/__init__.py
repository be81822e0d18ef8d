"""Payment channels: WeChat Pay (JSAPI) and Alipay (wap). Each channel module starts a payment for an order
and receives the channel's notifications; both end in services.orders.orders.record_payment.

URLs: /payments/wechat/notify/<merchant_slug>, /payments/wechat/refund-notify/<merchant_slug> and
/payments/alipay/notify/<merchant_slug> (the channels call these, CSRF-exempt, verified by signature or, for
the refund result, by its encryption), and the member-facing start of a payment through `checkout.start`.
"""
from flask import Blueprint

blueprint = Blueprint("payments", __name__, url_prefix="/payments")


def register(app):
    from extensions import csrf

    from payments import checkout  # noqa: F401  (routes register on import)
    from payments import alipay  # noqa: F401  (the notification route)
    from payments import wechat  # noqa: F401  (the notification route)
    from payments import wechat_refund_notify  # noqa: F401  (the refund result notification route)

    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
