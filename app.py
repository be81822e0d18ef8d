"""Application factory: configuration, extensions, blueprints, error handlers. No routes, no schema changes."""
import logging
import os

import select

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

from werkzeug.middleware.proxy_fix import ProxyFix

import api
import cli
import home
import member_h5
import ops
import payments
import sms_inbound
import sandbox
import staff_h5
import wechat_bot
import config as config_module
from backoffice import blueprint as backoffice_blueprint
from extensions import babel, csrf, db, login_manager, migrate
from jobs import dispatch, schedule
from models import Staff
from models.crypto import configure_cipher, derive_key
from services.shared import host, job_queue, reading
from web import boundary, compression, errors, headers, input_guard, observability, template_helpers
from web.host import FlaskHost
from web.json_provider import OrjsonProvider
from web.sessions import PagesOnlySessionInterface


class ConfigurationError(RuntimeError):
    pass


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)  # before anything (Jinja's tojson) takes app.json.dumps
    _load_config(app, config)
    _check_production_settings(app)
    configure_credentials_cipher(app)
    _trust_proxies(app)
    observability.install(app)  # first: request id, logs, request metrics for every request
    compression.install(app)  # early, so it compresses what the later hooks leave
    _init_extensions(app)
    _connect_services(app)
    input_guard.install(app)  # before the blueprints: their routes read the `int` converter when added
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    boundary.install(app)
    headers.install(app)
    _register_cli(app)
    schedule.start_in_process(app)  # only where asked (`make run`, no Redis)
    return app


def _load_config(app, config):
    if config is None or isinstance(config, dict):
        app.config.from_object(config_module.config_from_env())
        app.config.update(config or {})
    else:
        app.config.from_object(config)
    config_module.resolve_channel_endpoints(app.config)
    # uploaded photos and covers; services read it through services/shared/host.py
    app.config.setdefault("UPLOAD_DIR", os.path.join(app.instance_path, "uploads"))


def _check_production_settings(app):
    if app.config.get("ENV_NAME") != "production":
        return
    secret = app.config.get("SECRET_KEY") or ""
    if secret in ("", config_module.INSECURE_DEV_SECRET) or len(secret) < 32:
        raise ConfigurationError(
            "SECRET_KEY is missing or is the development default. In production set SECRET_KEY to a "
            "random string of at least 32 characters, e.g. python -c 'import secrets;print(secrets.token_hex(32))'."
        )
    if not app.config.get("CREDENTIALS_KEYS"):
        raise ConfigurationError(
            "CREDENTIALS_KEYS is missing. In production set it to one or more Fernet keys (newest first), "
            "e.g. python -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())'."
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigurationError("DATABASE_URL must point at PostgreSQL in production.")


def configure_credentials_cipher(app):
    """The process-wide cipher of merchants' channel credentials, from this app's keys (the last app made wins)."""
    keys = [k.strip().encode() for k in app.config.get("CREDENTIALS_KEYS", "").split(",") if k.strip()]
    configure_cipher(keys or [derive_key(app.config["SECRET_KEY"])])


def _trust_proxies(app):
    """Behind N reverse proxies, take the client address from X-Forwarded-For (rate limits use it)."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_extensions(app):
    app.session_interface = PagesOnlySessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    login_manager.init_app(app)
    login_manager.login_view = "backoffice.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_staff(session_id):
        """The staff member of a session, unless the session was ended (logout, password change: Staff.get_id)."""
        staff_id, _, version = session_id.partition(":")
        if not (staff_id.isdigit() and version.isdigit()) or len(staff_id) > 10:
            return None
        staff = db.session.get(Staff, int(staff_id))
        return staff if staff is not None and staff.session_version == int(version) else None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, allow readers during writes, wait instead of failing on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Pool, "checkout")
def _discard_closed_postgresql(dbapi_connection, connection_record, connection_proxy):
    """PostgreSQL: a pooled connection the server has closed (a restart, a terminated backend) is replaced before use.

    The server says goodbye before it closes, so the socket of a closed connection has something to read, and an
    idle live one has nothing (at worst a message nobody waits for, and a sound connection is replaced): asking the
    socket costs no round trip, where a pre-ping costs one per request."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # SQLite
        return
    if dbapi_connection.closed or _has_pending_input(pgconn):
        raise DisconnectionError("the server closed this pooled connection")


def _has_pending_input(pgconn):
    try:
        socket = pgconn.socket
    except psycopg.OperationalError:  # libpq has given the socket up
        return True
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))


def _connect_services(app):
    """What services need of the application (its config and URLs) and how their jobs go (jobs/dispatch.py)."""
    host.install(FlaskHost())
    job_queue.install(dispatch.send)
    # reports and exports read the replica when one is configured; its session ends with the app context
    reading.install(app.config.get("DATABASE_REPLICA_URL"), db.session, scopefunc=db.session.registry.scopefunc,
                    engine_options=dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}))
    app.teardown_appcontext(lambda _error: reading.remove())


def _register_blueprints(app):
    app.register_blueprint(backoffice_blueprint)
    app.register_blueprint(member_h5.blueprint)
    app.register_blueprint(member_h5.short_links.blueprint)  # /j/<token>: the short join link an SMS carries
    app.register_blueprint(staff_h5.blueprint)  # the staff page at /staff
    sandbox.register(app)
    wechat_bot.register(app)  # the official-account callback (CSRF-exempt, signed by WeChat)
    api.register(app)  # the JSON API at /api/v1 (CSRF-exempt, authenticated by API key)
    payments.register(app)  # payment notifications at /payments (CSRF-exempt, verified by signature)
    sms_inbound.register(app)  # members' replies to marketing SMS (CSRF-exempt, verified by signature)
    ops.register(app)  # /healthz and /readyz
    home.register(app)  # / : the start page in development, the back-office login in production


def _register_template_helpers(app):
    template_helpers.register(app)


def _register_error_handlers(app):
    errors.register(app)


def _register_cli(app):
    cli.register(app)
    logging.getLogger(__name__).debug("app created (%s)", app.config.get("ENV_NAME"))
