"""The official-account callback: a Flask-independent registry of handlers, and one view that wraps it.

`register(app)` adds the callback blueprint (CSRF-exempt: WeChat signs its requests instead).
"""


def register(app):
    from extensions import csrf
    from wechat_bot.views import blueprint

    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
