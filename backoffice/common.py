"""What every back-office view needs: permission checks, the unit of work, and form helpers."""
import functools
import secrets

from flask import abort, flash, request
from flask_login import current_user, login_required

from domain.errors import DomainError, NotFound
from extensions import db


def requires(permission):
    """Logged in, and the role may do this. Checked on the server for every action."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def merchant_id():
    return current_user.merchant_id


def commit():
    """The request's one commit, at its boundary."""
    db.session.commit()


def client_ip():
    return (request.headers.get("X-Forwarded-For", request.remote_addr or "").split(",")[0].strip())[:45] or None


def new_idempotency_key(prefix):
    """A key minted when a form is shown, so a double submit applies once."""
    return f"{prefix}:{secrets.token_urlsafe(16)}"


def flash_domain_error(exc: DomainError):
    if isinstance(exc, NotFound):
        abort(404)
    flash(exc.message, "warning")


def parse_int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
