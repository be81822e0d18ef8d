"""Operations endpoints: /healthz (the process answers) and /readyz (its database and Redis answer and the schema
is at the newest migration), for a load balancer or an orchestrator, no data, no session; and /metrics for the
operator's Prometheus, closed to everyone else (ops/metrics.py)."""
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from redis import Redis
from sqlalchemy import text

from extensions import db
from ops import metrics

blueprint = Blueprint("ops", __name__)
blueprint.add_url_rule("/metrics", endpoint="metrics", view_func=metrics.serve)


def register(app):
    app.register_blueprint(blueprint)


@blueprint.route("/healthz")
def healthz():
    return jsonify(status="ok")


@blueprint.route("/readyz")
def readyz():
    checks = {"database": _database(), "redis": _redis(), "migrations": _migrations()}
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the reason is the answer
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"  # the embedded mode runs jobs inline
    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


def _migrations():
    try:
        directory = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        return f"error: {type(exc).__name__}"
    return "ok" if current == heads else f"behind: at {sorted(current)}, newest {sorted(heads)}"
