"""Sandbox SMS outbox: every message the sandbox provider "sent", grouped by phone, newest first."""
from flask import render_template, request
from sqlalchemy import select

from domain.errors import DomainError
from domain.phone import normalise_mobile
from extensions import db
from models import SandboxOutbox
from sandbox import blueprint

PAGE_LIMIT = 300


@blueprint.route("/sms")
def sms_outbox():
    query = select(SandboxOutbox).where(SandboxOutbox.kind == "sms")
    phone = (request.args.get("phone") or "").strip()
    if phone:
        try:
            phone = normalise_mobile(phone)
        except DomainError:
            pass
        query = query.where(SandboxOutbox.recipient == phone)
    messages = db.session.scalars(query.order_by(SandboxOutbox.id.desc()).limit(PAGE_LIMIT)).all()
    groups = {}
    for message in messages:  # newest first, so each phone's group is ordered by its latest message
        groups.setdefault(message.recipient, []).append(message)
    return render_template("sandbox/sms.html", groups=groups, phone=phone)
