"""The official-account callback: a Flask-independent registry of handlers, and one view that wraps it.

`register(app)` adds the callback blueprint (CSRF-exempt: WeChat signs its requests instead).
"""
from extensions import csrf
from wechat_bot.views import blueprint


def register(app):
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
