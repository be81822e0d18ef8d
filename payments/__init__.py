"""Payment channels' notifications, the only routes here: /payments/wechat/notify/<merchant_slug>,
/payments/wechat/refund-notify/<merchant_slug> and /payments/alipay/notify/<merchant_slug>. The channels call
these (CSRF-exempt, verified by signature or, for the refund result, by its encryption); payments/intake.py reads
the body (16 KB at most), finds the merchant and applies its rate limit (NOTIFY_RATE_PER_MINUTE), then each calls
its service (services.orders.wechat_notifications, wechat_refund_notifications, alipay_notifications) and answers
the channel. Only a verified notification is kept in full; the rest are counted with one sample.

Starting a payment in the member's browser is member_h5/pay_start.py; what services call on a channel (prepay,
query, close, refund) is channels/wechat_pay_trades.py and channels/alipay_trades.py.
"""
from flask import Blueprint

from extensions import csrf

blueprint = Blueprint("payments", __name__, url_prefix="/payments")

from payments import alipay, wechat, wechat_refund_notify  # noqa: E402,F401  (routes register on import)


def register(app):
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
