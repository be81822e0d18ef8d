"""WeChat Pay's notifications: read the body (16 KB at most), hand it to its service, keep the notification
with its outcome and answer WeChat in XML.

The payment notification (/payments/wechat/notify/<merchant_slug>) is handled by
services.orders.wechat_notifications; the refund notification (payments/wechat_refund_notify.py) by
services.orders.wechat_refund_notifications. Every notification is kept with its outcome; WeChat gets SUCCESS
only for an accepted payment or refund or a repeat, FAIL otherwise so that it retries and the merchant sees the
row. A crash answers FAIL too and keeps a trace of the body.
"""
import logging

from flask import make_response, request
from werkzeug.exceptions import RequestEntityTooLarge

from channels import wechat_pay as wxpay
from extensions import db
from payments import blueprint
from web import boundary
from services.orders import wechat_notifications

log = logging.getLogger(__name__)


def _answer(accepted, message="OK"):
    code = "SUCCESS" if accepted else "FAIL"
    response = make_response(wxpay.dict_to_xml({"return_code": code, "return_msg": message}))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return response


def _read_body():
    """At most 16 KB plus one byte (to tell a too-long body apart), whatever Content-Length claims."""
    if (request.content_length or 0) > wxpay.MAX_XML_BYTES:
        return None
    try:
        body = request.stream.read(wxpay.MAX_XML_BYTES + 1)
    except RequestEntityTooLarge:
        return None
    return None if len(body) > wxpay.MAX_XML_BYTES else body


@blueprint.route("/wechat/notify/<merchant_slug>", methods=["POST"])
def wechat_notify(merchant_slug):
    return answer_notification(merchant_slug, wechat_notifications.handle, "WeChat Pay notification")


def answer_notification(merchant_slug, handler, what):
    """Run handler(session, slug, body) -> (outcome, detail, order id, out_trade_no, merchant id), keep the
    notification with its outcome and answer WeChat: SUCCESS for accepted or duplicate, FAIL otherwise."""
    body = _read_body()
    try:
        outcome, detail, order_id, out_trade_no, merchant_id = handler(db.session, merchant_slug, body)
        wechat_notifications.keep(db.session, merchant_id, order_id, out_trade_no, outcome, detail, body)
        boundary.commit_now()
    except Exception:
        # A crash must still answer WeChat (FAIL, so it retries) and leave a trace; nothing it did is kept.
        db.session.rollback()
        log.exception("%s for %s failed", what, merchant_slug)
        outcome = "error"
        _keep_after_crash(body, what)
    accepted = outcome in ("accepted", "duplicate")
    if not accepted:
        log.warning("%s for %s refused: %s", what, merchant_slug, outcome)
    return _answer(accepted, "OK" if accepted else outcome)


def _keep_after_crash(body, what):
    try:
        wechat_notifications.keep(db.session, None, None, None, "error", "处理异常", body)
        boundary.commit_now()
    except Exception:
        db.session.rollback()
        log.exception("could not keep the failed %s", what)
