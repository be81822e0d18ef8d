"""Sandbox SMS outbox: every message the sandbox provider "sent", grouped by phone, newest first, with the
replies the phones sent back.

A reply (default 「T」, 回T退订) is posted by `POST /sandbox/sms/reply` to the app's inbound route
`POST /sms/inbound/sandbox` over HTTP, as a gateway would: form fields mobile, text, merchant_id (of the newest
marketing message to that phone), timestamp, nonce and signature (channels.sms.inbound_signature). The reply is
kept in the outbox as kind 'sms_in' with the app's HTTP status.
"""
import secrets
import time

import requests
from flask import current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from channels import sms as sms_channel
from domain.errors import DomainError
from domain.phone import normalise_mobile
from extensions import db
from models import SandboxOutbox
from sandbox import blueprint
from web import boundary

PAGE_LIMIT = 300
KINDS = ("sms", "sms_in")
INBOUND_PATH = "/sms/inbound/sandbox"


@blueprint.route("/sms")
def sms_outbox():
    query = select(SandboxOutbox).where(SandboxOutbox.kind.in_(KINDS))
    phone = _mobile(request.args.get("phone"))
    if phone:
        query = query.where(SandboxOutbox.recipient == phone)
    messages = db.session.scalars(query.order_by(SandboxOutbox.id.desc()).limit(PAGE_LIMIT)).all()
    groups = {}
    for message in messages:  # newest first, so each phone's group is ordered by its latest message
        groups.setdefault(message.recipient, []).append(message)
    return render_template("sandbox/sms.html", groups=groups, phone=phone)


def _mobile(value):
    value = (value or "").strip()
    try:
        return normalise_mobile(value) if value else ""
    except DomainError:
        return value


@blueprint.route("/sms/reply", methods=["POST"])
def sms_reply():
    """The phone replies to the merchant whose marketing message it got last; the app hears it, signed."""
    phone = _mobile(request.form.get("phone"))
    text = (request.form.get("text") or "").strip()[:70] or "T"
    merchant_id = _last_marketing_merchant(phone)
    if merchant_id is None:
        status = "没有发到该号码的营销短信，不知道回复给哪个商户"
    else:
        boundary.commit_now()  # hold nothing while the app handles the inbound message
        status = post_inbound(current_app.config, phone, text, merchant_id)
    db.session.add(SandboxOutbox(kind="sms_in", recipient=phone, payload={
        "text": text, "merchant_id": merchant_id, "status": status}))
    boundary.commit_now()
    return redirect(url_for("sandbox.sms_outbox", phone=request.form.get("back_phone") or None)
                    + f"#phone-{phone}")


def _last_marketing_merchant(phone):
    if not phone:
        return None
    rows = db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms", SandboxOutbox.recipient == phone)
                              .order_by(SandboxOutbox.id.desc()).limit(PAGE_LIMIT))
    for row in rows:
        if row.payload.get("marketing") and row.payload.get("merchant_id") is not None:
            return row.payload["merchant_id"]
    return None


def inbound_form(config, mobile, text, merchant_id, timestamp=None, nonce=None):
    """The signed form the gateway posts for one inbound message."""
    form = {"mobile": mobile, "text": text, "merchant_id": str(merchant_id),
            "timestamp": str(int(timestamp if timestamp is not None else time.time())),
            "nonce": nonce or secrets.token_hex(8)}
    form["signature"] = sms_channel.inbound_signature(config, *(form[name] for name in sms_channel.INBOUND_FIELDS))
    return form


def post_inbound(config, mobile, text, merchant_id):
    """POST the reply to the app; the app's HTTP status, or the connection error's name."""
    url = config["PUBLIC_BASE_URL"].rstrip("/") + INBOUND_PATH
    try:
        return requests.post(url, data=inbound_form(config, mobile, text, merchant_id), timeout=5).status_code
    except requests.RequestException as exc:
        return exc.__class__.__name__
