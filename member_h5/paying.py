"""What every member purchase does once its order is priced: pick the channel, then hand the browser to it
(member_h5/pay_start.py)."""
from flask import g, redirect, url_for
from flask_babel import gettext as _

from domain import orders as order_rules
from member_h5 import pay_start
from member_h5.common import attempt, detect_client


def pay_channel():
    """WeChat Pay inside WeChat, Alipay inside Alipay; elsewhere the channel the member signed in with."""
    client = detect_client()
    return client if client in order_rules.CHANNELS else g.login.channel


def channel_context():
    """The channel this member pays with here, and its name for the pay button."""
    channel = pay_channel()
    return {"channel": channel, "channel_label": _(order_rules.CHANNEL_LABELS[channel])}


def start_paying(order):
    """For a committed order: the same form sent again after paying shows the order; otherwise its channel.
    A channel that refuses to start says why on the order's page (the order is kept)."""
    detail = url_for("member_h5.order_detail", order_id=order.id)
    if order.state != order_rules.CREATED:
        return redirect(detail)
    return attempt(lambda: pay_start.start(g.merchant, order), detail)
