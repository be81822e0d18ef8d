"""Sandbox WeChat Pay 付款码支付 (micropay): pay/micropay and secapi/pay/reverse under /sandbox/wechatpay/; the
order query is pay/orderquery in sandbox/wechat_pay.py (it asks `query_state` here for a micropay order), and what
every pay endpoint shares is in sandbox/wechat_pay_orders.py.

What a payment code does is in sandbox/paycodes.py. A micropay order is stored like a JSAPI prepay (a
SandboxGrant of kind wxpay_prepay whose value names the order, details in a SandboxOutbox row marked
"micropay"), so the sandbox's refund endpoints serve it unchanged: used_at set means paid, kind wxpay_closed
means reversed, and expires_at is when the payer enters the password (USERPAYING until then; none: never).
A repeated micropay with the same out_trade_no is answered from the stored order and never charges twice.
"""
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import SandboxGrant
from sandbox import blueprint, paycodes
from sandbox.wechat_pay_orders import (BASE, CLOSED, PREPAY, PayError, find_prepay, known_prepay, paid_fields, pay_api,
                                       prepay_details)
from sandbox import wechat_state as sbx
from web import boundary

FAILURES = {"invalid": ("AUTH_CODE_INVALID", "授权码检验错误"),
            "notenough": ("NOTENOUGH", "用户余额不足"),
            "expired": ("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试")}


@blueprint.route(BASE + "pay/micropay", methods=["POST"])
@pay_api
def wechatpay_micropay(merchant, data):
    for field in ("body", "out_trade_no", "total_fee", "auth_code", "spbill_create_ip"):
        if not data.get(field):
            raise PayError("PARAM_ERROR", f"缺少参数{field}")
    if not data["total_fee"].isdigit() or int(data["total_fee"]) <= 0:
        raise PayError("PARAM_ERROR", "total_fee无效")
    grant = find_prepay(db.session, merchant.wechat_app_id, data["out_trade_no"])
    if grant is None:
        kind = paycodes.behaviour("wechat", data["auth_code"])
        if kind in FAILURES:
            raise PayError(*FAILURES[kind])
        grant = _create(merchant, data, kind)
    details = prepay_details(db.session, grant.value)
    if not details.get("micropay") or int(details["total_fee"]) != int(data["total_fee"]):
        raise PayError("INVALID_REQUEST", "201 商户订单号重复")
    state = query_state(grant, details)
    if state == "SUCCESS":
        return paid_fields(grant, details) | {"trade_type": "MICROPAY"}
    if state == "USERPAYING":
        boundary.commit_now()  # the order exists even though this answer is an error
        raise PayError("USERPAYING", "需要用户输入支付密码")
    raise PayError("ORDERREVERSED", "订单已撤销")


def _create(merchant, data, kind):
    """The order, once: a concurrent identical request finds the first one (the grant's value is unique)."""
    value = f"mp:{merchant.wechat_app_id}:{data['out_trade_no']}"
    openid = f"oPaycode{data['auth_code'][-10:]}"
    grant = SandboxGrant(kind=PREPAY, value=value, app_id=merchant.wechat_app_id, user_key=openid,
                         scope=data["out_trade_no"], used_at=now_utc() if kind == "success" else None,
                         expires_at=paycodes.password_entered_at(kind))
    try:
        with db.session.begin_nested():
            db.session.add(grant)
            db.session.flush()
            sbx.record(db.session, "wxpay_order", merchant.wechat_app_id, value, {
                "mch_id": merchant.wechat_pay_mch_id, "out_trade_no": data["out_trade_no"],
                "body": data["body"][:128], "total_fee": int(data["total_fee"]),
                "fee_type": data.get("fee_type") or "CNY", "notify_url": "", "sign_type": data.get("sign_type") or "MD5",
                "openid": openid, "micropay": True, "auth_code": data["auth_code"]})
    except IntegrityError:
        grant = find_prepay(db.session, merchant.wechat_app_id, data["out_trade_no"])
    return grant


def query_state(grant, details):
    """SUCCESS, USERPAYING or REVOKED; a payer whose password moment has come pays now (conditional UPDATE)."""
    if grant.kind == CLOSED:
        return "REVOKED"
    if grant.used_at is None and grant.expires_at is not None and grant.expires_at <= now_utc():
        db.session.execute(update(SandboxGrant).where(SandboxGrant.id == grant.id, SandboxGrant.used_at.is_(None),
                                                      SandboxGrant.kind == PREPAY)
                           .values(used_at=now_utc()).execution_options(synchronize_session=False))
        db.session.refresh(grant)
        return query_state(grant, details)
    return "SUCCESS" if grant.used_at is not None else "USERPAYING"


@blueprint.route(BASE + "secapi/pay/reverse", methods=["POST"])
@pay_api
def wechatpay_reverse(merchant, data):
    """Reverse a micropay order: an unpaid one is closed, a paid one is closed and its money goes back."""
    grant = known_prepay(merchant, data)
    if not prepay_details(db.session, grant.value).get("micropay"):
        raise PayError("TRADE_ERROR", "只能撤销付款码支付的订单")
    db.session.execute(update(SandboxGrant).where(SandboxGrant.id == grant.id)
                       .values(kind=CLOSED).execution_options(synchronize_session=False))
    return {"recall": "N"}
