"""Alipay's asynchronous payment notification: /payments/alipay/notify/<merchant_slug>.

Read and admitted by payments/intake.py (16 KB at most, chunked or form-encoded alike; a known merchant within
its rate), verified and recorded by services.orders.alipay_notifications, kept in full with its outcome once its
signature verified (before that, only counted with a sample), and answered. Alipay keeps retrying until it reads
the plain text "success", so that answer is given only when the payment is recorded (or already was) and
committed with its row; everything else, a crash included, answers "failure".
"""
import logging

from extensions import db
from payments import blueprint, intake
from services.orders import alipay_notifications
from services.orders.alipay_notifications import NotificationRefused
from services.orders.notification_rejects import Unverified
from web import boundary

log = logging.getLogger(__name__)

ACCEPTED, REFUSED = "success", "failure"
ENDPOINT = "alipay"


@blueprint.route("/alipay/notify/<merchant_slug>", methods=["POST"])
def alipay_notify(merchant_slug):
    raw = intake.read_body()
    merchant = fields = order = None
    try:
        merchant = intake.admitted(merchant_slug, ENDPOINT, raw)
        if merchant is None:
            return _answer(REFUSED)
        fields = alipay_notifications.verified(merchant, raw)
        boundary.commit_now()  # the rate slot counts even if what follows fails, and is not held locked meanwhile
        order, outcome, detail = alipay_notifications.process(db.session, merchant, fields)
    except Unverified as refused:  # verifying wrote nothing: the refusal commits with the rate slot
        intake.refuse(merchant, ENDPOINT, refused.reason, refused.detail, raw)
        return _answer(REFUSED)
    except NotificationRefused as refused:
        db.session.rollback()
        outcome, detail, order = refused.outcome, refused.detail, refused.order
        log.warning("alipay notification refused for %s: %s %s", merchant_slug[:64], outcome, detail)
    except Exception:  # noqa: BLE001 - Alipay must read "failure" and retry, never a 500
        db.session.rollback()
        log.exception("alipay notification failed for %s", merchant_slug[:64])
        if fields is None:  # it crashed before the signature verified: counted, not kept
            intake.refuse(merchant, ENDPOINT, "crashed", "internal error", raw)
            return _answer(REFUSED)
        outcome, detail = "error", "internal error"
    kept = _keep(merchant, order, raw, outcome, detail)
    # The payment commits with its log row: if that commit failed, nothing was recorded and Alipay must retry.
    return _answer(ACCEPTED if kept and outcome in ("accepted", "duplicate") else REFUSED)


def _answer(text):
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}


def _keep(merchant, order, raw, outcome, detail):
    """The verified notification kept with its outcome, committed with the payment it made. False if not stored."""
    try:
        alipay_notifications.keep(db.session, merchant.id, order, raw, outcome, detail)
        boundary.commit_now()
        return True
    except Exception:  # noqa: BLE001 - answered "failure" by the caller, never a 500
        db.session.rollback()
        log.exception("could not keep an alipay notification (%s)", outcome)
        return False
