"""The Flask application as services see it (services/shared/host.py): config and URL map of the current app."""
from flask import current_app


class FlaskHost:
    def secret_key(self):
        return current_app.config["SECRET_KEY"]

    def setting(self, name, default=None):
        return current_app.config.get(name, default)

    def external_url(self, endpoint, **values):
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        return base + self.path(endpoint, **values)

    def path(self, endpoint, **values):
        return current_app.url_map.bind("localhost").build(endpoint, values)
