"""Offline stand-ins for WeChat, Alipay and the SMS gateway, served under /sandbox when SANDBOX_ENABLED.

The app's real clients (wechatpy, python-alipay-sdk) talk to these endpoints over HTTP because the
channel base URLs point here; production points the same clients at the real hosts.
"""
import importlib

from flask import Blueprint

from extensions import csrf

blueprint = Blueprint("sandbox", __name__, url_prefix="/sandbox")

# Modules that add routes to the blueprint; each exists once its part is built.
ROUTE_MODULES = ("sandbox.wechat_api", "sandbox.wechat_pay", "sandbox.wechat_pay_refunds", "sandbox.wechat_micropay",
                 "sandbox.alipay_auth", "sandbox.alipay_gateway", "sandbox.alipay_cashier", "sandbox.alipay_refunds",
                 "sandbox.sms", "sandbox.phone", "sandbox.paycode_page")


def register(app):
    if not app.config.get("SANDBOX_ENABLED"):
        return
    for name in ROUTE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
