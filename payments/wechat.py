"""WeChat Pay's notifications: read and admitted by payments/intake.py (16 KB at most, a known merchant within
its rate), verified and handled by their service, kept with their outcome once verified, answered in XML.

The payment notification (/payments/wechat/notify/<merchant_slug>) is handled by
services.orders.wechat_notifications; the refund notification (payments/wechat_refund_notify.py) by
services.orders.wechat_refund_notifications. A verified notification is kept in full whatever its outcome; one
that is not is only counted with a sample (payments/intake.py). WeChat gets SUCCESS only for an accepted payment
or refund or a repeat, FAIL otherwise so that it retries. A crash answers FAIL too and keeps a trace of the body.
"""
import logging

from flask import make_response

from channels import wechat_pay as wxpay
from extensions import db
from payments import blueprint, intake
from services.orders import wechat_notifications
from services.orders.notification_rejects import Unverified
from web import boundary

log = logging.getLogger(__name__)


def _answer(accepted, message="OK"):
    code = "SUCCESS" if accepted else "FAIL"
    response = make_response(wxpay.dict_to_xml({"return_code": code, "return_msg": message}))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return response


@blueprint.route("/wechat/notify/<merchant_slug>", methods=["POST"])
def wechat_notify(merchant_slug):
    return answer_notification(merchant_slug, wechat_notifications, "wechat_pay")


def answer_notification(merchant_slug, service, endpoint):
    """Admit the notification, let `service` verify it (`verified(merchant, body)`, raising Unverified) and handle
    it (`handle(session, merchant, verified) -> (outcome, detail, order id, out_trade_no)`), keep it with its
    outcome and answer WeChat: SUCCESS for accepted or duplicate, FAIL otherwise."""
    body = intake.read_body()
    merchant = checked = None
    try:
        merchant = intake.admitted(merchant_slug, endpoint, body)
        if merchant is None:
            return _answer(False, "refused")
        checked = service.verified(merchant, body)
        boundary.commit_now()  # the rate slot counts even if what follows fails, and is not held locked meanwhile
        outcome, detail, order_id, out_trade_no = service.handle(db.session, merchant, checked)
        wechat_notifications.keep(db.session, merchant.id, order_id, out_trade_no, outcome, detail, body)
        boundary.commit_now()
    except Unverified as refused:  # verifying wrote nothing: the refusal commits with the rate slot
        intake.refuse(merchant, endpoint, refused.reason, refused.detail, body)
        return _answer(False, refused.reason)
    except Exception:
        # A crash must still answer WeChat (FAIL, so it retries) and leave a trace; nothing it did is kept.
        db.session.rollback()
        log.exception("%s notification for %s failed", endpoint, merchant_slug[:64])
        _keep_after_crash(merchant, checked is not None, body, endpoint)
        return _answer(False, "error")
    accepted = outcome in ("accepted", "duplicate")
    if not accepted:
        log.warning("%s notification for %s refused: %s", endpoint, merchant_slug[:64], outcome)
    return _answer(accepted, "OK" if accepted else outcome)


def _keep_after_crash(merchant, was_verified, body, endpoint):
    """A verified body is kept in full (outcome error); one that had not verified yet is only counted."""
    if not was_verified:
        intake.refuse(merchant, endpoint, "crashed", "处理异常", body)
        return
    try:
        wechat_notifications.keep(db.session, merchant.id, None, None, "error", "处理异常", body)
        boundary.commit_now()
    except Exception:
        db.session.rollback()
        log.exception("could not keep the failed %s notification", endpoint)
