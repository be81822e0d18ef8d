"""Starting a payment in the member's browser, by the order's channel: WeChat renders the JSAPI page
(WeixinJSBridge with signed parameters, and in the sandbox a link to the sandbox cashier), Alipay redirects to
its wap cashier. The channel's answer comes back as a notification (payments/); the member lands on the order's
page. Adding a channel is one line in STARTERS.
"""
from flask import current_app, redirect, render_template, url_for
from werkzeug.routing import BuildError

from channels import wechat_pay
from extensions import db
from services.orders import channel_payments
from web.requests import client_ip


def start(merchant, order):
    """The response that takes the member's browser to pay `order` (created, not expired)."""
    return STARTERS[order.channel](merchant, order)


def start_wechat(merchant, order):
    """The page that opens WeChat's payment sheet; in the sandbox it also links to the sandbox cashier."""
    payment = channel_payments.start_wechat(db.session, merchant, order,
                                            client_ip=client_ip() or "127.0.0.1")
    done = done_url(merchant, order)
    cashier = None
    if wechat_pay.uses_sandbox():
        cashier = url_for("sandbox.wechatpay_cashier", prepay_id=payment.prepay_id, **{"return": done})
    return render_template("member_h5/pay/wechat_pay.html", merchant=merchant, order=order, params=payment.params,
                           done_url=done, cashier_url=cashier)


def start_alipay(merchant, order):
    """Redirect the member's browser to Alipay's wap cashier for this created order."""
    return_url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/h5/{merchant.slug}/orders/{order.id}"
    return redirect(channel_payments.start_alipay(merchant, order, return_url))


def done_url(merchant, order):
    """Where the member lands after paying: the order's page when the H5 has one, the member centre otherwise."""
    try:
        return url_for("member_h5.order_detail", merchant_slug=merchant.slug, order_id=order.id)
    except BuildError:
        return url_for("member_h5.centre", merchant_slug=merchant.slug)


STARTERS = {"wechat": start_wechat, "alipay": start_alipay}
