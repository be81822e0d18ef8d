"""Sandbox WeChat Pay refunds: secapi/pay/refund and pay/refundquery under /sandbox/wechatpay/, the switches
that make the next refund fail or stay pending, and the page that completes a pending one.

A refund is a SandboxGrant too (kind wxpay_refund, value = mch_id:out_refund_no, unique like WeChat's refund
number, scope = out_trade_no) with its amount in a SandboxOutbox row; refunds of one trade are serialised by a row
lock on the trade's prepay. POST refund/fail-next makes the merchant's next new refund fail (a business error).

A refund is paid back at once (used_at set on creation) unless POST refund/pend-next asked for the merchant's
next one to stay PROCESSING; POST refund/complete then ends a pending refund with SUCCESS, REFUNDCLOSE or CHANGE
(kept in the grant's user_key; GET refunds lists the pending ones with buttons) and sends WeChat's refund result
notification to the refund's notify_url: no signature, the details AES-256-ECB encrypted in req_info with
md5(API key), resent on SANDBOX_NOTIFY_DELAYS.
"""
import secrets

import xmltodict
from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import delete, select, update
from wechatpy.crypto import RefundCrypto, WeChatRefundCrypto

from channels import wechat_pay as wxpay
from domain.clock import now_utc
from extensions import db
from models import Merchant, SandboxGrant, SandboxOutbox
from sandbox import blueprint
from sandbox.wechat_pay import deliver
from sandbox.wechat_pay_orders import (BASE, CLOSED, PREPAY, PayError, find_prepay, pay_api, prepay_details,
                                       transaction_id)
from sandbox import wechat_state as sbx
from web import boundary

REFUND = "wxpay_refund"
FAIL_NEXT_REFUND = "wxpay_refund_fail"
PEND_NEXT_REFUND = "wxpay_refund_pend"
REFUND_RESULTS = ("SUCCESS", "REFUNDCLOSE", "CHANGE")
REFUND_NOT_PAID = ("REFUNDCLOSE", "CHANGE")  # ended without money going back: refundable again
REFUND_TAMPERS = ("", "amount", "key")


@blueprint.route(BASE + "secapi/pay/refund", methods=["POST"])
@pay_api
def wechatpay_refund(merchant, data):
    for field in ("out_trade_no", "out_refund_no", "total_fee", "refund_fee"):
        if not data.get(field):
            raise PayError("PARAM_ERROR", f"缺少参数{field}")
    if not (data["total_fee"].isdigit() and data["refund_fee"].isdigit()) or int(data["refund_fee"]) <= 0:
        raise PayError("PARAM_ERROR", "total_fee或refund_fee无效")
    if len(data["out_refund_no"]) > 64:
        raise PayError("PARAM_ERROR", "out_refund_no长度超限")
    grant = db.session.scalars(select(SandboxGrant).where(
        SandboxGrant.kind.in_((PREPAY, CLOSED)), SandboxGrant.app_id == merchant.wechat_app_id,
        SandboxGrant.scope == data["out_trade_no"]).with_for_update()).one_or_none()
    if grant is None:
        raise PayError("ORDERNOTEXIST", "订单不存在")
    if grant.used_at is None:
        raise PayError("TRADE_STATE_ERROR", "订单状态错误，未支付的订单不能退款")
    details = prepay_details(db.session, grant.value)
    total, amount = int(data["total_fee"]), int(data["refund_fee"])
    if total != int(details["total_fee"]):
        raise PayError("INVALID_REQUEST", "订单金额与支付金额不一致")
    previous = _refunds(db.session, merchant, grant.scope)
    value = f"{merchant.wechat_pay_mch_id}:{data['out_refund_no']}"
    repeat = db.session.scalars(select(SandboxGrant).where(SandboxGrant.value == value)).one_or_none()
    if repeat is not None:
        same = repeat.scope == grant.scope and previous.get(repeat.value, {}).get("refund_fee") == amount
        if not same:
            raise PayError("INVALID_REQUEST", "同一退款单号的订单或退款金额与之前的请求不一致")
        return _refund_fields(grant, details, previous[repeat.value])
    _fail_if_switched(merchant)
    if sum(r["refund_fee"] for r in previous.values() if r["final"] not in REFUND_NOT_PAID) + amount > total:
        raise PayError("INVALID_REQUEST", "申请退款金额超过订单可退金额")
    pending = _take_pend_switch(merchant)
    refund = SandboxGrant(kind=REFUND, value=value, app_id=merchant.wechat_app_id, scope=grant.scope,
                          used_at=None if pending else now_utc())  # at once unless switched: used_at = ended
    db.session.add(refund)
    db.session.flush()
    row = sbx.record(db.session, REFUND, merchant.wechat_app_id, value, {
        "out_refund_no": data["out_refund_no"], "refund_fee": amount,
        "refund_id": f"50000{refund.id:010d}{refund.created_at:%Y%m%d}", "refund_desc": data.get("refund_desc", ""),
        "notify_url": data.get("notify_url", "")})
    return _refund_fields(grant, details, row.payload)


def _refunds(session, merchant, out_trade_no):
    """This trade's refunds so far: {grant value: details}."""
    rows = session.execute(select(SandboxGrant.value, SandboxOutbox.payload, SandboxGrant.user_key).join(
        SandboxOutbox, (SandboxOutbox.kind == REFUND) & (SandboxOutbox.recipient == SandboxGrant.value)).where(
        SandboxGrant.kind == REFUND, SandboxGrant.app_id == merchant.wechat_app_id,
        SandboxGrant.scope == out_trade_no))
    return {value: {**payload, "final": final} for value, payload, final in rows}


def _fail_if_switched(merchant):
    """Consume the fail-next switch (kept even though the refused request rolls back) and refuse."""
    switch = db.session.scalars(select(SandboxOutbox).where(
        SandboxOutbox.kind == FAIL_NEXT_REFUND, SandboxOutbox.app_id == merchant.wechat_app_id)
        .order_by(SandboxOutbox.id).limit(1)).first()
    if switch is None:
        return
    payload = dict(switch.payload)
    taken = db.session.execute(delete(SandboxOutbox).where(SandboxOutbox.id == switch.id)
                               .execution_options(synchronize_session=False)).rowcount
    boundary.commit_now()
    if taken == 1:
        raise PayError(payload["err_code"], payload["err_code_des"])


def _refund_fields(grant, details, payload):
    return {"transaction_id": transaction_id(grant), "out_trade_no": grant.scope,
            "out_refund_no": payload["out_refund_no"], "refund_id": payload["refund_id"],
            "refund_fee": payload["refund_fee"], "total_fee": details["total_fee"],
            "cash_fee": details["total_fee"], "cash_refund_fee": payload["refund_fee"]}


@blueprint.route(BASE + "pay/refundquery", methods=["POST"])
@pay_api
def wechatpay_refundquery(merchant, data):
    value = f"{merchant.wechat_pay_mch_id}:{data.get('out_refund_no', '')}"
    refund = db.session.scalars(select(SandboxGrant).where(SandboxGrant.kind == REFUND,
                                                           SandboxGrant.value == value)).one_or_none()
    if refund is None:
        raise PayError("REFUNDNOTEXIST", "退款订单查询失败")
    grant = find_prepay(db.session, merchant.wechat_app_id, refund.scope)
    payload = _refunds(db.session, merchant, refund.scope)[refund.value]
    details = prepay_details(db.session, grant.value)
    return {"transaction_id": transaction_id(grant), "out_trade_no": grant.scope,
            "total_fee": details["total_fee"], "cash_fee": details["total_fee"], "refund_count": 1,
            "out_refund_no_0": payload["out_refund_no"], "refund_id_0": payload["refund_id"],
            "refund_fee_0": payload["refund_fee"], "refund_status_0": _refund_state(refund),
            "refund_success_time_0": f"{refund.used_at or now_utc():%Y-%m-%d %H:%M:%S}"}


@blueprint.route(BASE + "refund/fail-next", methods=["POST"])
def wechatpay_refund_fail_next():
    """Sandbox switch: the next new refund of this merchant (form: mch_id) is refused with err_code /
    err_code_des (defaults: WeChat's NOTENOUGH)."""
    mch_id = (request.form.get("mch_id") or "")[:32]
    merchant = db.session.scalars(select(Merchant).where(Merchant.wechat_pay_mch_id == mch_id)
                                  .order_by(Merchant.id)).first() if mch_id else None
    if merchant is None:
        return jsonify(error="unknown mch_id"), 404
    payload = {"err_code": (request.form.get("err_code") or "NOTENOUGH")[:32],
               "err_code_des": (request.form.get("err_code_des") or "基本账户余额不足，请充值后重新发起")[:128]}
    sbx.record(db.session, FAIL_NEXT_REFUND, merchant.wechat_app_id, mch_id, payload)
    boundary.commit_now()
    return jsonify(ok=True, **payload)


def _refund_state(refund):
    return refund.user_key or ("SUCCESS" if refund.used_at else "PROCESSING")


def _merchant_by_mch(mch_id):
    mch_id = (mch_id or "")[:32]
    return db.session.scalars(select(Merchant).where(Merchant.wechat_pay_mch_id == mch_id)
                              .order_by(Merchant.id)).first() if mch_id else None


def pend_next_refund(session, merchant):
    """Arm the switch (flushes): the merchant's next new refund stays PROCESSING until completed."""
    sbx.record(session, PEND_NEXT_REFUND, merchant.wechat_app_id, merchant.wechat_pay_mch_id, {})


def _take_pend_switch(merchant):
    """Consumed in the refund's own transaction: a refused refund leaves the switch armed."""
    return db.session.execute(delete(SandboxOutbox).where(
        SandboxOutbox.id == select(SandboxOutbox.id).where(
            SandboxOutbox.kind == PEND_NEXT_REFUND, SandboxOutbox.app_id == merchant.wechat_app_id)
        .order_by(SandboxOutbox.id).limit(1).scalar_subquery()).execution_options(synchronize_session=False)).rowcount


@blueprint.route(BASE + "refund/pend-next", methods=["POST"])
def wechatpay_refund_pend_next():
    """Sandbox switch: the next new refund of this merchant (form: mch_id) stays PROCESSING."""
    merchant = _merchant_by_mch(request.form.get("mch_id"))
    if merchant is None:
        return jsonify(error="unknown mch_id"), 404
    pend_next_refund(db.session, merchant)
    boundary.commit_now()
    return jsonify(ok=True)


@blueprint.route(BASE + "refund/complete", methods=["POST"])
def wechatpay_refund_complete():
    """Sandbox control: end a pending refund (form: mch_id, out_refund_no, result SUCCESS / REFUNDCLOSE /
    CHANGE, optional tamper amount / key) and notify the app; answers how the first delivery went."""
    merchant = _merchant_by_mch(request.form.get("mch_id"))
    result, tamper = request.form.get("result", "SUCCESS"), request.form.get("tamper", "")
    if merchant is None or result not in REFUND_RESULTS or tamper not in REFUND_TAMPERS:
        return jsonify(error="unknown mch_id, result or tamper"), 400
    delivery = complete_refund(merchant, (request.form.get("out_refund_no") or "")[:64], result, tamper=tamper)
    if request.form.get("page"):  # from the refunds page: show it again with how the delivery went
        return redirect(url_for("sandbox.wechatpay_refunds", delivery=delivery or "NOT_PENDING"))
    if delivery is None:
        return jsonify(error="no pending refund with this out_refund_no"), 409
    return jsonify(ok=True, result=result, delivery=delivery)


@blueprint.route(BASE + "refunds")
def wechatpay_refunds():
    """The sandbox's list of pending refunds, each with the three results WeChat can end it with."""
    rows = db.session.execute(select(SandboxGrant.value, SandboxGrant.scope, SandboxOutbox.payload).join(
        SandboxOutbox, (SandboxOutbox.kind == REFUND) & (SandboxOutbox.recipient == SandboxGrant.value)).where(
        SandboxGrant.kind == REFUND, SandboxGrant.used_at.is_(None)).order_by(SandboxGrant.id.desc()).limit(100))
    pending = [{"mch_id": value.split(":", 1)[0], "out_trade_no": scope, **payload} for value, scope, payload in rows]
    return render_template("sandbox/wechat_refunds.html", pending=pending,
                           delivery=(request.args.get("delivery") or "")[:20])


def complete_refund(merchant, out_refund_no, result, tamper=""):
    """End a pending refund (conditional UPDATE: only once) and send its notification; None if not pending."""
    value = f"{merchant.wechat_pay_mch_id}:{out_refund_no}"
    ended = db.session.execute(update(SandboxGrant).where(
        SandboxGrant.kind == REFUND, SandboxGrant.value == value, SandboxGrant.used_at.is_(None))
        .values(used_at=now_utc(), user_key=result).execution_options(synchronize_session=False)).rowcount
    boundary.commit_now()
    if ended != 1:
        return None
    refund = db.session.scalars(select(SandboxGrant).where(SandboxGrant.value == value)).one()
    return send_refund_notification(merchant, refund, tamper)


def refund_notification_xml(merchant, refund, tamper=""):
    """WeChat's refund result notification; tamper "amount" encrypts a wrong refund_fee with the right key
    (a leaked key), "key" encrypts with another key (a forgery)."""
    grant = find_prepay(db.session, merchant.wechat_app_id, refund.scope)
    details = prepay_details(db.session, grant.value)
    payload = _refunds(db.session, merchant, refund.scope)[refund.value]
    info = {"transaction_id": transaction_id(grant), "out_trade_no": grant.scope,
            "refund_id": payload["refund_id"], "out_refund_no": payload["out_refund_no"],
            "total_fee": details["total_fee"], "settlement_total_fee": details["total_fee"],
            "refund_fee": 1 if tamper == "amount" else payload["refund_fee"],
            "settlement_refund_fee": payload["refund_fee"], "refund_status": _refund_state(refund),
            "refund_recv_accout": "支付用户零钱", "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS",
            "refund_request_source": "API"}
    if info["refund_status"] == "SUCCESS":
        info["success_time"] = f"{refund.used_at:%Y-%m-%d %H:%M:%S}"
    key = secrets.token_hex(16) if tamper == "key" else merchant.wechat_pay_api_key
    plain = xmltodict.unparse({"root": {k: str(v) for k, v in info.items()}}, full_document=False)
    # AES-256-ECB with md5(key) as hex, PKCS#7, base64: the inverse of wechatpy's WeChatRefundCrypto.decrypt
    req_info = RefundCrypto(WeChatRefundCrypto(key).key).encrypt(plain).decode()
    return wxpay.dict_to_xml({"return_code": "SUCCESS", "appid": merchant.wechat_app_id,
                              "mch_id": merchant.wechat_pay_mch_id, "nonce_str": wxpay.nonce(), "req_info": req_info})


def send_refund_notification(merchant, refund, tamper=""):
    """Deliver like WeChat: at once in the request, then again on SANDBOX_NOTIFY_DELAYS until accepted."""
    url = _refunds(db.session, merchant, refund.scope)[refund.value].get("notify_url")
    if not url:
        return "NO_NOTIFY_URL"
    body = refund_notification_xml(merchant, refund, tamper)
    sbx.record(db.session, "wxpay_refund_notify", merchant.wechat_app_id, refund.value, {"tamper": tamper,
                                                                                         "body": body})
    boundary.commit_now()
    return deliver(url, body)
