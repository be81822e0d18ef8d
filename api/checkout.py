"""Checkout routes for a shop's own till: quote a member's payment, pay it (idempotent), read a checkout.

The same service as the staff cashier page (services/till/checkout.py) prices and takes the payment; the till's total
is never trusted: `pay` re-prices on the server and the answer says what was charged.
"""
from flask import g, jsonify, request

from api import blueprint, payloads
from api.payloads import integer, invalid
from domain import pricing
from domain.clock import now_utc, to_local
from domain.errors import PermissionDenied
from extensions import db
from models.checkout import TENDERS
from services.till import checkout as checkout_service, channels as till_channels
from services.merchant import merchants
from web.requests import client_ip

# A quote and its payment take the same body (a till builds one order and sends it twice): the quote checks the
# payment's own fields (note, auth_code) the way the payment will, and otherwise ignores them.
FIELDS = {"store_id", "member_id", "amount", "tender", "choice", "seed", "note", "auth_code"}
MAX_SEED_LENGTH = 80
MAX_NOTE_LENGTH = 200
MAX_AUTH_CODE_LENGTH = 32


@blueprint.post("/checkout/quote")
def checkout_quote():
    key = g.api_key
    body = payloads.json_object()
    wanted = _request(body)
    _auth_code(wanted["tender"], body.get("auth_code"))  # refused now rather than at the payment
    session = db.session()  # the request's own session, not the per-call look-up of the scoped proxy
    _outside_a_transaction(session)
    answer = checkout_service.quote(session, _merchant(session, key), key, store_id=wanted["store_id"],
                                    member_id=wanted["member_id"], amount=wanted["amount"], tender=wanted["tender"],
                                    choice=wanted["choice"], seed=wanted["seed"] or "")
    # A quote changes nothing: the request's end closes the session, which ends its (autocommit) use of the
    # connection; a rollback here would first expire every object it read.
    return jsonify(quote_json(answer))


@blueprint.post("/checkout/pay")
def checkout_pay():
    key = g.api_key
    request_key = payloads.request_key()
    stored_key = f"api{key.id}:{request_key}"  # each key has its own namespace of request keys
    body = payloads.json_object()
    wanted = _request(body)
    now = now_utc()
    auth_code = _auth_code(wanted["tender"], body.get("auth_code"))
    taking = till_channels.charge if auth_code else checkout_service.pay
    extra = {"auth_code": auth_code, "client_ip": client_ip() or "127.0.0.1"} if auth_code else {}
    session = db.session()
    made = taking(session, _merchant(session, key), key, store_id=wanted["store_id"], member_id=wanted["member_id"],
                  amount=wanted["amount"], tender=wanted["tender"], choice=wanted["choice"], seed=wanted["seed"],
                  key=stored_key, note=wanted["note"], now=now, **extra)
    # An earlier request with this key made the checkout (it is returned unchanged): a retry is answered 200.
    status = 201 if made.created_at == now else 200
    body = checkout_json(made, key.merchant_timezone, key)
    return jsonify(body), status


@blueprint.get("/checkouts/<int:checkout_id>")
def checkout_detail(checkout_id):
    key = g.api_key
    made = checkout_service.get(db.session, key.merchant_id, checkout_id)
    if not key.can_act_in(made.store_id):
        raise PermissionDenied("该接口密钥不能查看此门店的收银记录")
    body = checkout_json(made, key.merchant_timezone, key)
    return jsonify(body)


def _auth_code(tender, value):
    """The customer's payment code: WeChat Pay / Alipay then charge it (services/till/channels.py). Without one,
    wechat and alipay are recorded as paid on the shop's own terminal, as before."""
    if value is None:
        return None
    if tender not in till_channels.CHANNEL_TENDERS:
        raise invalid("字段 auth_code 只用于 tender 为 wechat 或 alipay", field="auth_code")
    if not isinstance(value, str) or len(value) > MAX_AUTH_CODE_LENGTH:
        raise invalid("字段 auth_code 应为付款码数字串", field="auth_code")
    return value


def _outside_a_transaction(session):
    """A quote only reads, and the payment re-prices under its locks: when nothing has begun a transaction yet
    (authenticating the key usually asks nothing), its reads run in autocommit, without the BEGIN and ROLLBACK
    round trips. The connection goes back to the pool with its usual isolation level."""
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _merchant(session, key):
    return merchants.remembered(session, key.merchant_id)


def _request(body):
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise invalid(f"未知字段：{', '.join(unknown)[:100]}", fields=unknown[:10])
    tender = body.get("tender")
    if tender not in TENDERS:
        raise invalid(f"字段 tender 应为 {'、'.join(TENDERS)} 之一", field="tender")
    return {
        "store_id": integer(body.get("store_id"), "store_id", required=True, minimum=1),
        "member_id": integer(body.get("member_id"), "member_id", minimum=1),
        "amount": integer(body.get("amount"), "amount", required=True, minimum=1),
        "tender": tender,
        "choice": _choice(body.get("choice")),
        "seed": _text(body.get("seed"), "seed", MAX_SEED_LENGTH),
        "note": _text(body.get("note"), "note", MAX_NOTE_LENGTH),
    }


def _choice(value):
    """{"use_level", "coupon_ids", "points"} as the engine's Choice; null = the best for the member."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"use_level", "coupon_ids", "points"}:
        raise invalid("字段 choice 应为 {use_level, coupon_ids, points}", field="choice")
    use_level = value.get("use_level", True)
    ids = value.get("coupon_ids") or []
    if not isinstance(use_level, bool) or not isinstance(ids, list) or len(ids) > 10:
        raise invalid("字段 choice 格式不正确", field="choice")
    coupon_ids = tuple(integer(i, "choice.coupon_ids", required=True, minimum=1) for i in ids)
    points = integer(value.get("points"), "choice.points", minimum=0) or 0
    return pricing.Choice(use_level=use_level, coupon_ids=coupon_ids, points=points)


def _text(value, field, most):
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > most:
        raise invalid(f"字段 {field} 应为不超过 {most} 个字符的字符串", field=field)
    return value


def _choice_json(choice):
    return {"use_level": choice.use_level, "coupon_ids": list(choice.coupon_ids), "points": choice.points}


def _steps_json(steps):
    return [{"kind": s.kind, "label": s.label, "amount": s.amount, "detail": s.detail} for s in steps]


def quote_json(answer):
    member, priced = answer.member, answer.quote
    return {
        "member": ({"id": member.id, "name": member.name, "mobile_masked": _mask(member.mobile)}
                   if member is not None else None),
        "level_name": answer.level_name, "balance": answer.balance, "points": answer.points,
        "amount": priced.amount, "pay": priced.pay, "discount": priced.amount - priced.pay,
        "steps": _steps_json(priced.steps), "choice": _choice_json(priced.choice),
        "points_used": priced.points_used, "coupon_ids": list(priced.coupon_ids),
        "options": [{"choice": _choice_json(c), "pay": pay, "description": text} for c, pay, text in answer.options],
        "refusal": answer.refusal, "balance_short": answer.balance_short, "points_to_earn": answer.points_to_earn,
    }


def checkout_json(made, tz_name, key=None):
    return {
        "id": made.id, "member_id": made.member_id, "store": {"id": made.store_id, "name": _store_name(made, key)},
        "source": made.source, "amount": made.amount, "discount": made.discount, "pay": made.pay,
        "tender": made.tender, "balance_paid": made.balance_paid, "points_used": made.points_used,
        "points_earned": made.points_earned, "coupon_code_ids": list(made.coupon_code_ids),
        "steps": list(made.steps), "state": made.state, "refunded_amount": made.refunded_amount,
        "note": made.note, "channel_trade_no": made.channel_trade_no, "created_at": made.created_at.isoformat(),
        "created_at_local": to_local(made.created_at, tz_name).isoformat(),
    }


def _store_name(made, key):
    """From what the API key remembers of its merchant's stores (services/merchant/api_keys.py) when it can: no query."""
    seen = getattr(key, "stores_seen", None) or {}
    facts = seen.get(made.store_id)
    return facts.name if facts is not None else made.store.name


def _mask(mobile):
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else mobile
