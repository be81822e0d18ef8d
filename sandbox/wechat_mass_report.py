"""MASSSENDJOBFINISH: the sandbox tells the account's callback how each mass message went, as WeChat does.

`POST /sandbox/wechat/mass/report` (form `m` = merchant slug, or `app_id`) pushes one signed event per sent mass
message of the app not reported yet and answers {"reported": n, "deliveries": [...]}; the phone's button
「推送群发结果」 posts there. After a send, `schedule(app, app_id)` does the same by itself
SANDBOX_WECHAT_MASS_REPORT_DELAY seconds later (a daemon timer), as WeChat's event follows a send.
"""
import logging
import threading

import requests
from flask import current_app, jsonify, redirect, request, url_for
from sqlalchemy import select

from extensions import db
from models import Merchant
from sandbox import blueprint, wechat_events as events, wechat_mass_store as store, wechat_state as sbx
from web import boundary

log = logging.getLogger(__name__)


@blueprint.route("/wechat/mass/report", methods=["POST"])
def wechat_mass_report():
    merchant = _merchant()
    if merchant is None:
        return jsonify(error="未知的商户或公众号"), 404
    deliveries = push_results(merchant.wechat_app_id)
    if request.form.get("back") == "phone":
        return redirect(url_for("sandbox.phone", m=merchant.slug, reported=len(deliveries)) + "#chat")
    return jsonify(reported=len(deliveries), deliveries=deliveries)


def _merchant():
    slug = (request.form.get("m") or "").strip().lower()
    if slug:
        merchant = db.session.scalars(select(Merchant).where(Merchant.slug == slug)).one_or_none()
    else:
        merchant = sbx.merchant_for_app(db.session, request.form.get("app_id", ""))
    return merchant if merchant is not None and merchant.wechat_app_id and merchant.wechat_token else None


def push_results(app_id):
    """Claim the app's unreported mass messages, commit the claim, then push one event each to the callback.
    [{"msg_id", "status"}], the status being the callback's HTTP status or the connection error's name."""
    merchant = sbx.merchant_for_app(db.session, app_id)
    if merchant is None or not merchant.wechat_token:
        return []
    account = events.Account(merchant.wechat_app_id, merchant.wechat_token)
    slug = merchant.slug
    claimed = sorted(store.claim_unreported(db.session, app_id))
    boundary.commit_now()  # claimed before the callback hears of them: two pushers never send one twice
    base_url = current_app.config["PUBLIC_BASE_URL"]
    deliveries = []
    for msg_id, total, sent, errors in claimed:
        xml = events.mass_finish_xml(account, msg_id, total, sent + errors, sent, errors)
        try:
            status = events.deliver(base_url, slug, account, xml).status
        except requests.RequestException as exc:
            status = exc.__class__.__name__
        deliveries.append({"msg_id": msg_id, "status": status})
    return deliveries


def schedule(app, app_id):
    """Push the app's results after SANDBOX_WECHAT_MASS_REPORT_DELAY seconds (None: never by itself)."""
    delay = app.config.get("SANDBOX_WECHAT_MASS_REPORT_DELAY")
    if not isinstance(delay, (int, float)) or isinstance(delay, bool):
        return
    timer = threading.Timer(delay, _push_later, args=(app, app_id))
    timer.daemon = True
    timer.start()


def _push_later(app, app_id):
    with app.app_context():
        try:
            push_results(app_id)
        except Exception:  # a timer thread has nobody to raise to: say it in the log
            log.exception("sandbox: pushing MASSSENDJOBFINISH for %s failed", app_id)
            db.session.rollback()
        finally:
            db.session.remove()
