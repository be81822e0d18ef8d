"""Replies members send to marketing SMS, delivered by the SMS provider: POST /sms/inbound/<provider>
(CSRF-exempt, verified by the provider's signature; channels/sms.py checks it). A reply of T, TD or 退订 opts
the member out of marketing SMS (services/outreach/inbound.py)."""
from flask import Blueprint, abort, current_app, jsonify, request

from channels import sms as sms_channel
from domain.errors import DomainError
from extensions import csrf, db
from services.outreach import inbound as outreach_inbound

blueprint = Blueprint("sms_inbound", __name__, url_prefix="/sms")


@blueprint.route("/inbound/<provider>", methods=["POST"])
def reply(provider):
    if provider != _provider_name():
        abort(404)
    try:
        mobile, text, merchant_id = sms_channel.verify_inbound(current_app.config, request.form)
        opted_out = outreach_inbound.sms_reply(db.session, merchant_id, mobile, text)
    except DomainError as exc:
        db.session.rollback()
        return jsonify(ok=False, error=exc.message), exc.http_status
    return jsonify(ok=True, opted_out=opted_out)


def _provider_name():
    config = current_app.config
    return config.get("SMS_PROVIDER") or (sms_channel.SANDBOX if config.get("SANDBOX_ENABLED") else "")


def register(app):
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
