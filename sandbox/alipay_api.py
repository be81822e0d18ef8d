"""Sandbox Alipay: the auth_base page (auth_code), the gateway (`alipay.system.oauth.token`,
`alipay.trade.wap.pay` -> a cashier page, `alipay.trade.query`, `alipay.trade.close`, `alipay.trade.refund`,
`alipay.trade.fastpay.refund.query`;
POST /sandbox/alipay/refund-failure makes an app's next refund fail) and the asynchronous
payment notification, RSA2-signed with the sandbox's "Alipay" key and resent on Alipay's retry schedule
(compressed: config SANDBOX_NOTIFY_DELAYS, seconds) until the app answers "success".

Like the real open platform, the sandbox holds its own RSA keypair (the "Alipay" key) and, per app,
the app's public key. Requests are verified against the app's public key; responses are signed with
the sandbox's private key, so python-alipay-sdk verifies them exactly as it would in production.
Keys are made on first use and kept in the shared_tokens table; `provision_merchant` gives a merchant
an app id, a seller id and a keypair and registers its public key here. Trades are kept as JSON in
shared_tokens too, moved between states by compare-and-swap on the stored text.
"""
import json
import logging
import re
import secrets
import threading
import time
from base64 import b64decode, b64encode
from datetime import timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import requests

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import abort, current_app, make_response, redirect, render_template, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc
from extensions import db
from models import SandboxGrant, SandboxUser, SharedToken
from sandbox import blueprint

log = logging.getLogger(__name__)

USER_COOKIE = "sandbox_alipay_user"
CODE_TTL = timedelta(minutes=5)
SANDBOX_KEY = "sandbox:alipay:private_key"
APP_KEY_PREFIX = "sandbox:alipay:app_public_key:"
SELLER_PREFIX = "sandbox:alipay:seller_id:"
_USER_ID = re.compile(r"^2088[0-9]{12}$")


# --- keys -------------------------------------------------------------------------------------------

def provision_merchant(session, merchant):
    """Give the merchant a sandbox Alipay app: app id, app keypair, and the sandbox's public key. Idempotent."""
    if not merchant.alipay_app_id:
        merchant.alipay_app_id = f"2021{secrets.randbelow(10 ** 12):012d}"
    if not merchant.alipay_private_key:
        merchant.alipay_private_key = _private_pem(_new_key())
    if not merchant.alipay_seller_id:
        merchant.alipay_seller_id = f"2088{secrets.randbelow(10 ** 12):012d}"
    app_public = _public_pem(_load_private(merchant.alipay_private_key))
    _put(session, APP_KEY_PREFIX + merchant.alipay_app_id, app_public)
    _put(session, SELLER_PREFIX + merchant.alipay_app_id, merchant.alipay_seller_id)
    merchant.alipay_public_key = _public_pem(_load_private(_sandbox_private_pem(session)))
    session.flush()
    return merchant


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _load_private(pem_text):
    from channels.alipay import pem

    return serialization.load_pem_private_key(pem(pem_text, private=True).encode(), password=None)


def _sandbox_private_pem(session):
    """The sandbox's own "Alipay" private key, created once (the first writer wins under the primary key)."""
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))
    if value:
        return value
    candidate = _private_pem(_new_key())
    try:
        with session.begin_nested():
            session.add(SharedToken(key=SANDBOX_KEY, value=candidate))
            session.flush()
    except IntegrityError:
        pass
    return session.scalar(select(SharedToken.value).where(SharedToken.key == SANDBOX_KEY))


def _put(session, key, value):
    row = session.get(SharedToken, key)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SharedToken(key=key, value=value))
                session.flush()
            return
        except IntegrityError:
            row = session.get(SharedToken, key)
    row.value = value


def _app_public_key(session, app_id):
    value = session.scalar(select(SharedToken.value).where(SharedToken.key == APP_KEY_PREFIX + (app_id or "")))
    return serialization.load_pem_public_key(value.encode()) if value else None


# --- auth page --------------------------------------------------------------------------------------

@blueprint.route("/alipay/auth", methods=["GET", "POST"])
def alipay_auth():
    """Alipay's auth page: silent with the phone's current Alipay user, else pick or create one."""
    app_id, scope = request.values.get("app_id", ""), request.values.get("scope", "auth_base")
    redirect_uri, state = request.values.get("redirect_uri", ""), request.values.get("state", "")
    if _app_public_key(db.session, app_id) is None:
        abort(400, "unknown app_id")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        abort(400, "redirect_uri must be an absolute http(s) URL")
    user = None
    if request.method == "POST":
        user = _chosen_user(app_id)
    elif _USER_ID.match(request.cookies.get(USER_COOKIE, "")):
        user = _user(app_id, request.cookies[USER_COOKIE])
    if user is None:
        users = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay")
                                   .order_by(SandboxUser.id.desc()).limit(50)).all()
        return render_template("sandbox/alipay_auth.html", users=users, app_id=app_id, scope=scope,
                               redirect_uri=redirect_uri, state=state)
    code = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_code", value=code, app_id=app_id, user_key=user.user_key, scope=scope,
                                expires_at=now_utc() + CODE_TTL))
    db.session.commit()
    query = urlencode({"auth_code": code, "app_id": app_id, "source": "alipay_wallet", "scope": scope,
                       "state": state})
    response = redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}")
    response.set_cookie(USER_COOKIE, user.user_key, samesite="Lax", httponly=True)
    return response


def _chosen_user(app_id):
    user_key = request.form.get("user_key", "")
    if user_key:
        if not _USER_ID.match(user_key):
            abort(400, "bad user_key")
        return _user(app_id, user_key)
    nickname = (request.form.get("nickname") or "").strip()[:60]
    user_key = f"2088{secrets.randbelow(10 ** 12):012d}"
    return _user(app_id, user_key, nickname or f"支付宝用户{user_key[-4:]}")


def _user(app_id, user_key, nickname=None):
    """The sandbox Alipay user (Alipay user ids are global; the row for this app is made on first use)."""
    user = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay", SandboxUser.app_id == app_id,
                                                        SandboxUser.user_key == user_key)).one_or_none()
    if user is None:
        known = db.session.scalars(select(SandboxUser).where(SandboxUser.channel == "alipay",
                                                             SandboxUser.user_key == user_key).limit(1)).first()
        user = SandboxUser(channel="alipay", app_id=app_id, user_key=user_key,
                           nickname=nickname or (known.nickname if known else f"支付宝用户{user_key[-4:]}"))
        try:
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
        except IntegrityError:
            user = db.session.scalars(select(SandboxUser).where(
                SandboxUser.channel == "alipay", SandboxUser.app_id == app_id,
                SandboxUser.user_key == user_key)).one()
    return user


# --- gateway ----------------------------------------------------------------------------------------

EXTRA_METHODS = {}  # method -> handler(params) -> response body, added by other sandbox modules


@blueprint.route("/alipay/gateway.do", methods=["GET", "POST"])
def alipay_gateway():
    params = {k: v for k, v in request.values.items()}
    method = params.get("method", "")
    response_key = method.replace(".", "_") + "_response" if method else "error_response"
    app_key = _app_public_key(db.session, params.get("app_id"))
    if app_key is None:
        return _answer(response_key, _error("40002", "isv.invalid-app-id", "无效的AppID参数"))
    if params.get("sign_type") != "RSA2" or not _signed_by(app_key, params):
        return _answer(response_key, _error("40002", "isv.invalid-signature", "验签出错"))
    if method == "alipay.trade.wap.pay":
        return _cashier_for(params)
    if method in ("alipay.trade.query", "alipay.trade.close"):
        return _answer(response_key, (_trade_query if method == "alipay.trade.query" else _trade_close)(params))
    if method == "alipay.trade.refund":
        return _answer(response_key, _trade_refund(params))
    if method in EXTRA_METHODS:  # the payment-code ones, sandbox/alipay_barcode.py
        return _answer(response_key, EXTRA_METHODS[method](params))
    if method == "alipay.trade.fastpay.refund.query":
        return _answer(response_key, _refund_query(params))
    if method != "alipay.system.oauth.token":
        return _answer(response_key, _error("40004", "isv.invalid-method", "沙箱不支持该接口"))
    return _answer(response_key, _oauth_token(params))


def _signed_by(public_key, params):
    """RSA2 over the sorted, unencoded k=v pairs of every parameter except `sign`."""
    signature = params.get("sign", "")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
    try:
        public_key.verify(b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def _oauth_token(params):
    if params.get("grant_type") != "authorization_code":
        return _error("40002", "isv.grant-type-invalid", "不支持的grant_type")
    now = now_utc()
    user_key = db.session.execute(
        update(SandboxGrant).where(SandboxGrant.kind == "alipay_code", SandboxGrant.value == params.get("code", ""),
                                   SandboxGrant.app_id == params["app_id"], SandboxGrant.used_at.is_(None),
                                   SandboxGrant.expires_at > now)
        .values(used_at=now).returning(SandboxGrant.user_key)
    ).scalar_one_or_none()
    if user_key is None:
        db.session.rollback()
        return _error("40002", "isv.code-invalid", "授权码code无效")
    token = secrets.token_hex(16)
    db.session.add(SandboxGrant(kind="alipay_token", value=token, app_id=params["app_id"], user_key=user_key,
                                scope="auth_base", expires_at=now + timedelta(days=1)))
    db.session.commit()
    return {"user_id": user_key, "access_token": token, "expires_in": 86400, "refresh_token": secrets.token_hex(16),
            "re_expires_in": 2592000, "auth_start": now.strftime("%Y-%m-%d %H:%M:%S")}


def _error(code, sub_code, sub_msg):
    return {"code": code, "msg": "Invalid Arguments", "sub_code": sub_code, "sub_msg": sub_msg}


def _answer(response_key, body):
    """{"<method>_response": {...}, "sign": "..."} signed over the exact inner JSON text."""
    inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    key = _load_private(_sandbox_private_pem(db.session))
    db.session.commit()
    signature = b64encode(key.sign(inner.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    response = make_response(f'{{"{response_key}":{inner},"sign":"{signature}"}}')
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response


# --- trades: wap cashier, query, close, notification -------------------------------------------------

TRADE_PREFIX = "sandbox:alipay:trade:"
WAIT, PAID, CLOSED = "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"
TAMPERS = {"": "正常通知", "amount": "篡改金额（重新签名）", "signature": "错误签名"}
# Alipay resends after 4m, 10m, 10m, 1h, 2h, 6h, 15h; here minutes become seconds unless config says otherwise.
DEFAULT_NOTIFY_DELAYS = (0, 4, 10, 10, 60, 120, 360, 900)
BEIJING = ZoneInfo("Asia/Shanghai")
_TOTAL = re.compile(r"^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$")
_OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _trade_key(app_id, out_trade_no):
    return f"{TRADE_PREFIX}{app_id}:{out_trade_no}"


def _load_trade(app_id, out_trade_no):
    """(stored text, trade dict) or (None, None)."""
    text = db.session.scalar(select(SharedToken.value).where(SharedToken.key == _trade_key(app_id, out_trade_no)))
    return (text, json.loads(text)) if text else (None, None)


def _swap(trade, old_text):
    """Store the trade only if nobody changed it since `old_text` was read; commits. True when stored."""
    new_text = json.dumps(trade, ensure_ascii=False, sort_keys=True)
    moved = db.session.execute(
        update(SharedToken).where(SharedToken.key == _trade_key(trade["app_id"], trade["out_trade_no"]),
                                  SharedToken.value == old_text)
        .values(value=new_text).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return moved == 1


def _beijing_now():
    return now_utc().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _expired(trade):
    return bool(trade.get("time_expire")) and _beijing_now() > trade["time_expire"]


def _biz(params):
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        return {}
    return biz if isinstance(biz, dict) else {}


def _cashier_for(params):
    """alipay.trade.wap.pay: the trade is created on first visit; the browser sees the cashier."""
    biz = _biz(params)
    out_trade_no, total = str(biz.get("out_trade_no", "")), str(biz.get("total_amount", ""))
    if not (_OUT_TRADE_NO.match(out_trade_no) and _TOTAL.match(total) and total not in ("0", "0.0", "0.00")
            and biz.get("subject")):
        abort(400, "biz_content needs out_trade_no, total_amount > 0 and subject")
    app_id = params["app_id"]
    text, trade = _load_trade(app_id, out_trade_no)
    if trade is None:
        trade = {"app_id": app_id, "out_trade_no": out_trade_no, "total_amount": _two_decimals(total),
                 "subject": str(biz["subject"])[:256], "status": WAIT, "trade_no": _new_trade_no(),
                 "notify_url": params.get("notify_url", ""), "return_url": params.get("return_url", ""),
                 "quit_url": str(biz.get("quit_url") or params.get("return_url", "")),
                 "time_expire": str(biz.get("time_expire", "")), "gmt_create": _beijing_now()}
        _put(db.session, _trade_key(app_id, out_trade_no), json.dumps(trade, ensure_ascii=False, sort_keys=True))
        db.session.commit()
        text, trade = _load_trade(app_id, out_trade_no)
    elif trade["total_amount"] != _two_decimals(total):
        abort(400, "ACQ.TRADE_INFO_CHANGED: 交易信息被篡改")
    return render_template("sandbox/alipay_cashier.html", trade=trade, tampers=TAMPERS,
                           message=_unpayable(trade))


def _two_decimals(total):
    """'12.3' -> '12.30' by string work alone: the sandbox, like Alipay, answers with two decimals."""
    whole, _, part = total.partition(".")
    return f"{whole}.{part.ljust(2, '0')}"


def _new_trade_no():
    return now_utc().astimezone(BEIJING).strftime("%Y%m%d") + "22001" + f"{secrets.randbelow(10 ** 15):015d}"


def _unpayable(trade):
    if trade["status"] == PAID:
        return "该交易已支付"
    if trade["status"] == CLOSED:
        return "该交易已关闭"
    if _expired(trade):
        return "该交易已超时"
    return None


@blueprint.route("/alipay/cashier", methods=["POST"])
def alipay_cashier():
    """The member pays (optionally with a tampered notification) or leaves the cashier."""
    text, trade = _load_trade(request.form.get("app_id", ""), request.form.get("out_trade_no", ""))
    if trade is None:
        abort(404)
    if request.form.get("action") != "pay":
        return redirect(trade["quit_url"] or trade["return_url"])
    tamper = request.form.get("tamper", "")
    if tamper not in TAMPERS:
        abort(400, "unknown tamper")
    message = _unpayable(trade)
    if message is None:
        paid = dict(trade, status=PAID, gmt_payment=_beijing_now(), buyer_id=_buyer_id())
        if _swap(paid, text):
            _notify(paid, tamper)
            return redirect(_with_query(trade["return_url"], _return_params(paid)))
        message = _unpayable(_load_trade(trade["app_id"], trade["out_trade_no"])[1]) or "交易状态已变化"
    return render_template("sandbox/alipay_cashier.html", trade=trade, tampers=TAMPERS, message=message), 409


def _buyer_id():
    user_key = request.cookies.get(USER_COOKIE, "")
    return user_key if _USER_ID.match(user_key) else f"2088{secrets.randbelow(10 ** 12):012d}"


def _with_query(url, params):
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _signed(fields):
    """fields + sign_type + sign: RSA2 over the sorted k=v pairs (sign and sign_type excluded), as Alipay signs."""
    message = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = _load_private(_sandbox_private_pem(db.session))
    db.session.commit()
    signature = b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return dict(fields, sign_type="RSA2", sign=signature)


def _return_params(trade):
    """The synchronous return to the merchant's page (informative only: the notification is what counts)."""
    return _signed({"app_id": trade["app_id"], "auth_app_id": trade["app_id"], "charset": "utf-8",
                    "method": "alipay.trade.wap.pay.return", "out_trade_no": trade["out_trade_no"],
                    "seller_id": _seller_id(trade["app_id"]), "timestamp": _beijing_now(),
                    "total_amount": trade["total_amount"], "trade_no": trade["trade_no"], "version": "1.0"})


def _seller_id(app_id):
    return db.session.scalar(select(SharedToken.value).where(SharedToken.key == SELLER_PREFIX + app_id)) or ""


def notification_fields(trade, tamper=""):
    """The asynchronous notification Alipay posts for a paid trade; `tamper` spoils it for tests of the app."""
    total = trade["total_amount"]
    if tamper == "amount":
        whole, part = total.split(".")
        total = f"{int(whole) + 1}.{part}"
    fields = _signed({
        "notify_time": _beijing_now(), "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
        "app_id": trade["app_id"], "auth_app_id": trade["app_id"], "charset": "utf-8", "version": "1.0",
        "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "buyer_id": trade["buyer_id"],
        "seller_id": _seller_id(trade["app_id"]), "trade_status": trade["status"], "total_amount": total,
        "receipt_amount": total, "buyer_pay_amount": total, "invoice_amount": total, "subject": trade["subject"],
        "gmt_create": trade["gmt_create"], "gmt_payment": trade["gmt_payment"]})
    if tamper == "signature":
        fields["sign"] = fields["sign"][:-8] + ("A" * 8 if not fields["sign"].endswith("A" * 8) else "B" * 8)
    return fields


def _notify(trade, tamper):
    if not trade.get("notify_url"):
        return
    delays = tuple(current_app.config.get("SANDBOX_NOTIFY_DELAYS", DEFAULT_NOTIFY_DELAYS))
    body = urlencode(notification_fields(trade, tamper))
    threading.Thread(target=_deliver, args=(trade["notify_url"], body, delays), daemon=True,
                     name=f"alipay-notify-{trade['out_trade_no']}").start()


def _deliver(url, body, delays):
    """Post until the app answers exactly "success", on the schedule; runs outside any request."""
    for delay in delays:
        time.sleep(delay)
        try:
            answer = requests.post(url, data=body.encode(), timeout=10,
                                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        except requests.RequestException as exc:
            log.info("sandbox alipay notification to %s failed: %s", url, exc)
            continue
        if answer.status_code == 200 and answer.text.strip() == "success":
            return
    log.info("sandbox alipay notification to %s given up after %d tries", url, len(delays))


def _trade_query(params):
    text, trade = _load_trade(params["app_id"], str(_biz(params).get("out_trade_no", "")))
    if trade is not None and trade.get("scene") == "bar_code":  # a payer may have entered the password by now
        from sandbox.alipay_barcode import advance

        trade = advance(text, trade)
    if trade is None:
        return _business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    answer = {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
              "trade_no": trade["trade_no"], "trade_status": trade["status"], "total_amount": trade["total_amount"]}
    if trade["status"] == PAID:
        answer.update(buyer_user_id=trade["buyer_id"], buyer_pay_amount=trade["total_amount"],
                      send_pay_date=trade["gmt_payment"])
    return answer


def _trade_close(params):
    text, trade = _load_trade(params["app_id"], str(_biz(params).get("out_trade_no", "")))
    if trade is None:
        return _business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    if trade["status"] == WAIT and _swap(dict(trade, status=CLOSED), text):
        return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"]}
    if trade["status"] == CLOSED:
        return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"]}
    return _business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")


def _business_error(sub_code, sub_msg):
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


# --- refunds ----------------------------------------------------------------------------------------

FAIL_REFUND_PREFIX = "sandbox:alipay:fail_next_refund:"
DEFAULT_REFUND_FAILURE = "卖家余额不足"
_OUT_REQUEST_NO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REFUND_SWAP_TRIES = 5


@blueprint.route("/alipay/refund-failure", methods=["POST"])
def alipay_refund_failure():
    """Sandbox switch: the app's next alipay.trade.refund is refused with `message` (once)."""
    app_id = request.values.get("app_id", "")
    if _app_public_key(db.session, app_id) is None:
        abort(400, "unknown app_id")
    fail_next_refund(db.session, app_id, request.values.get("message", ""))
    db.session.commit()
    return {"app_id": app_id, "fail_next_refund": True}


def fail_next_refund(session, app_id, message=""):
    """Arm the switch (flushes): the next refund for this app answers ACQ.SELLER_BALANCE_NOT_ENOUGH."""
    _put(session, FAIL_REFUND_PREFIX + app_id, (message or "").strip()[:100] or DEFAULT_REFUND_FAILURE)
    session.flush()


def _take_refund_failure(app_id):
    """The armed failure message, consumed by a single DELETE so two refunds at once cannot both take it."""
    message = db.session.execute(
        delete(SharedToken).where(SharedToken.key == FAIL_REFUND_PREFIX + app_id).returning(SharedToken.value)
    ).scalar_one_or_none()
    db.session.commit()
    return message


def _fen(text):
    """'12.3' -> 1230 by string work alone (the text already matched _TOTAL)."""
    whole, _, part = text.partition(".")
    return int(whole) * 100 + int(part.ljust(2, "0"))


def _yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def _trade_refund(params):
    """alipay.trade.refund: part or whole, never beyond what was paid; a repeated out_request_no is the
    same refund (answered again with fund_change "N"). A fully refunded trade becomes TRADE_CLOSED."""
    biz = _biz(params)
    out_request_no = str(biz.get("out_request_no") or biz.get("out_trade_no") or "")
    amount_text = str(biz.get("refund_amount", ""))
    if not (_OUT_REQUEST_NO.match(out_request_no) and _TOTAL.match(amount_text) and _fen(amount_text) > 0):
        return _error("40002", "isv.invalid-parameter", "refund_amount 或 out_request_no 不合法")
    failure = _take_refund_failure(params["app_id"])
    if failure:
        return _business_error("ACQ.SELLER_BALANCE_NOT_ENOUGH", failure)
    for _ in range(REFUND_SWAP_TRIES):
        answer = _try_refund(params["app_id"], str(biz.get("out_trade_no", "")), out_request_no, _fen(amount_text))
        if answer is not None:
            return answer
    return _business_error("ACQ.SYSTEM_ERROR", "系统繁忙，请使用相同的退款请求号重试")


def _try_refund(app_id, out_trade_no, out_request_no, amount):
    """One compare-and-swap attempt; None when another request changed the trade meanwhile."""
    text, trade = _load_trade(app_id, out_trade_no)
    if trade is None:
        return _business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    refunds = trade.get("refunds", {})
    if out_request_no in refunds:
        if refunds[out_request_no] != amount:
            return _business_error("ACQ.DISCORDANT_REPEAT_REQUEST", "退款请求号重复但退款金额不一致")
        return _refund_answer(trade, refunds[out_request_no], fund_change="N")
    if trade["status"] != PAID:
        return _business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    refunded = sum(refunds.values())
    if refunded + amount > _fen(trade["total_amount"]):
        return _business_error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
    refunds = dict(refunds, **{out_request_no: amount})
    changed = dict(trade, refunds=refunds)
    if refunded + amount == _fen(trade["total_amount"]):
        changed["status"] = CLOSED
    if not _swap(changed, text):
        return None
    return _refund_answer(changed, amount, fund_change="Y")


def _refund_query(params):
    """alipay.trade.fastpay.refund.query: a refund made is listed with REFUND_SUCCESS; one never made is
    answered with the trade's numbers and no refund_amount, as Alipay does."""
    biz = _biz(params)
    _, trade = _load_trade(params["app_id"], str(biz.get("out_trade_no", "")))
    if trade is None:
        return _business_error("ACQ.TRADE_NOT_EXIST", "交易不存在")
    out_request_no = str(biz.get("out_request_no", ""))
    answer = {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
              "out_trade_no": trade["out_trade_no"], "out_request_no": out_request_no}
    amount = trade.get("refunds", {}).get(out_request_no)
    if amount is not None:
        answer.update(total_amount=trade["total_amount"], refund_amount=_yuan(amount), refund_status="REFUND_SUCCESS",
                      gmt_refund_pay=_beijing_now())
    return answer


def _refund_answer(trade, amount, *, fund_change):
    return {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": "sandbox***", "buyer_user_id": trade.get("buyer_id", ""), "fund_change": fund_change,
            "refund_fee": _yuan(sum(trade.get("refunds", {}).values())), "send_back_fee": _yuan(amount),
            "gmt_refund_pay": _beijing_now()}
