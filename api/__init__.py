"""The JSON API for shops with their own till: look up a code, verify it, list the records.

Authenticated by a per-merchant key (`Authorization: Bearer mk_...`), so it is exempt from CSRF. The routes call
the same services as the staff page (services/verification/instruments.py); this package only parses, authorises and maps
errors to JSON.
"""
from flask import Blueprint

from extensions import csrf

blueprint = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

from api import auth, checkout, errors, views  # noqa: E402,F401  (hooks and routes register on import)


def register(app):
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
    # App-wide: a request no route of the blueprint takes never reaches the blueprint's own hooks and handlers.
    app.before_request(errors.answer_unrouted_api_request)
