"""Alipay's asynchronous payment notification: /payments/alipay/notify/<merchant_slug>.

Read the body (16 KB at most), let services.orders.alipay_notifications verify and record it, keep the
notification with its outcome whatever it is, and answer. Alipay keeps retrying until it reads the plain text
"success", so that answer is given only when the payment is recorded (or already was) and committed with its
row; everything else, a crash included, answers "failure".
"""
import logging

from flask import request

from channels.alipay_trades import MAX_NOTIFICATION_BYTES
from extensions import db
from payments import blueprint
from web import boundary
from services.orders import alipay_notifications
from services.orders.alipay_notifications import NotificationRefused

log = logging.getLogger(__name__)

ACCEPTED, REFUSED = "success", "failure"


@blueprint.route("/alipay/notify/<merchant_slug>", methods=["POST"])
def alipay_notify(merchant_slug):
    raw = _read_body()
    merchant = order = None
    try:
        if raw is None:
            raise NotificationRefused("error", "body missing or larger than 16 KB")
        merchant = alipay_notifications.merchant_of(db.session, merchant_slug)
        order, outcome, detail = alipay_notifications.process(db.session, merchant, raw)
    except NotificationRefused as refused:
        db.session.rollback()
        outcome, detail, order = refused.outcome, refused.detail, refused.order
        log.warning("alipay notification refused for %s: %s %s", merchant_slug[:64], outcome, detail)
    except Exception:  # noqa: BLE001 - Alipay must read "failure" and retry, never a 500
        db.session.rollback()
        log.exception("alipay notification failed for %s", merchant_slug[:64])
        outcome, detail = "error", "internal error"
    kept = _keep(merchant, order, raw, outcome, detail)
    # The payment commits with its log row: if that commit failed, nothing was recorded and Alipay must retry.
    answer = ACCEPTED if kept and outcome in ("accepted", "duplicate") else REFUSED
    return answer, 200, {"Content-Type": "text/plain; charset=utf-8"}


def _read_body():
    length = request.content_length
    if length is None or length > MAX_NOTIFICATION_BYTES:
        return None
    return request.get_data(cache=False)


def _keep(merchant, order, raw, outcome, detail):
    """The notification kept with its outcome, committed with the payment it made. False if not stored."""
    try:
        alipay_notifications.keep(db.session, merchant, order, raw, outcome, detail)
        boundary.commit_now()
        return True
    except Exception:  # noqa: BLE001 - answered "failure" by the caller, never a 500
        db.session.rollback()
        log.exception("could not keep an alipay notification (%s)", outcome)
        return False
