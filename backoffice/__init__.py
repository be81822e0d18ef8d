"""The merchant back office: thin views over services, Chinese UI, usable on a phone and a desktop."""
from flask import Blueprint

blueprint = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from backoffice import views_auth, views_dashboard  # noqa: E402,F401  (routes register on import)
