"""Offline stand-ins for WeChat, Alipay and the SMS gateway, served under /sandbox when SANDBOX_ENABLED.

The app's real clients (wechatpy, python-alipay-sdk) talk to these endpoints over HTTP because the
channel base URLs point here; production points the same clients at the real hosts.
"""
from flask import Blueprint

from extensions import csrf

blueprint = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from sandbox import alipay_auth, alipay_cashier, alipay_gateway, alipay_refunds  # noqa: E402,F401  (routes register on import)
from sandbox import paycode_page, phone, sms, wechat_api, wechat_micropay, wechat_pay, wechat_pay_refunds  # noqa: E402,F401
from sandbox import wechat_mass, wechat_mass_report, wechat_media  # noqa: E402,F401
from sandbox import phone_cards, wechat_cards  # noqa: E402,F401
from sandbox import phone_alipay_vouchers  # noqa: E402,F401  (the Alipay vouchers in the simulated phone's card package)
from sandbox import phone_alipay_cards  # noqa: E402,F401  (the Alipay card package on the simulated phone)


def register(app):
    if not app.config.get("SANDBOX_ENABLED"):
        return
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
