"""Parsing what a till sends and shaping what it gets back. Wrong types and missing fields are 422, never a 500."""
import re
from datetime import date

from flask import current_app, request

from api.errors import ApiError
from domain import coupons as code_rules
from domain.clock import to_local

MAX_CODE_LENGTH = 64
# A code as a till may type it: the 16 symbols (O, I and L read as 0, 1 and 1, in either case), grouped with spaces
# or dashes. The OpenAPI document declares this same pattern; domain/coupons.py normalises what it accepts.
_CODE_SYMBOLS = "".join(sorted(set(code_rules.ALPHABET + "OIL" + (code_rules.ALPHABET + "OIL").lower())))
CODE_PATTERN = f"^[ -]*(?:[{_CODE_SYMBOLS}][ -]*){{{code_rules.CODE_LENGTH}}}$"
_CODE = re.compile(CODE_PATTERN)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_REQUEST_KEY_LENGTH = 80  # the stored key is "api<key id>:<this>", within the ledger's 100 characters
_REQUEST_KEY = re.compile(r"^[\x21-\x7e]+$")
MAX_INT = 2**53  # what every JSON client reads exactly
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def invalid(message, **details):
    return ApiError(422, "validation_error", message, **details)


def json_object():
    """The body as a dict; 400 when it is not JSON at all, 422 when it is JSON but not an object."""
    raw = request.get_data(cache=True)
    try:
        body = current_app.json.loads(raw)  # UTF-8 only: anything else is a ValueError
    except ValueError:
        raise ApiError(400, "malformed_json", "请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise invalid("请求体应为 JSON 对象")
    return body


def integer(value, field, *, required=False, minimum=None):
    """A JSON integer (not a bool, a float or a numeric string)."""
    if value is None:
        if required:
            raise invalid(f"缺少字段 {field}", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
        raise invalid(f"字段 {field} 应为整数", field=field)
    if minimum is not None and value < minimum:
        raise invalid(f"字段 {field} 不能小于 {minimum}", field=field)
    return value


def query_integer(name, *, required=False, minimum=None):
    """A query parameter of ASCII digits. Absent is None; present but empty (`?limit=`) is refused like any other
    value that is not an integer."""
    text = request.args.get(name)
    if text is None:
        if required:
            raise invalid(f"缺少参数 {name}", field=name)
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise invalid(f"参数 {name} 应为正整数", field=name)
    return integer(int(text), name, minimum=minimum)


def query_date(name):
    """A query parameter YYYY-MM-DD (the document's `date` format). Absent is None; present but empty is refused."""
    text = request.args.get(name)
    if text is None:
        return None
    if not _DATE.fullmatch(text):
        return _bad_date(name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return _bad_date(name)


def _bad_date(name):
    raise invalid(f"参数 {name} 应为 YYYY-MM-DD 格式的日期", field=name)


def code(value):
    if not isinstance(value, str) or not value.strip():
        raise invalid("缺少字段 code（券码或卡号）", field="code")
    if len(value) > MAX_CODE_LENGTH:
        raise invalid(f"字段 code 不能超过 {MAX_CODE_LENGTH} 个字符", field="code")
    if not _CODE.fullmatch(value):
        raise invalid(f"券码格式不正确，应为 {code_rules.CODE_LENGTH} 位字母和数字，可用空格或短横线分组", field="code")
    return value


def request_key():
    """The Idempotency-Key header: required, printable ASCII, short."""
    value = request.headers.get("Idempotency-Key", "").strip()
    if not value:
        raise invalid("缺少 Idempotency-Key 请求头", field="Idempotency-Key")
    if len(value) > MAX_REQUEST_KEY_LENGTH or not _REQUEST_KEY.match(value):
        raise invalid(f"Idempotency-Key 应为不超过 {MAX_REQUEST_KEY_LENGTH} 个可见 ASCII 字符", field="Idempotency-Key")
    return value


def verification_request(body):
    """{code, store_id, quantity?, amount?, amount_received?} checked field by field."""
    known = {"code", "store_id", "quantity", "amount", "amount_received"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise invalid(f"未知字段：{', '.join(unknown)[:100]}", fields=unknown[:10])
    return {
        "code": code(body.get("code")),
        "store_id": integer(body.get("store_id"), "store_id", required=True, minimum=1),
        "quantity": integer(body.get("quantity"), "quantity", minimum=1),
        "amount": integer(body.get("amount"), "amount", minimum=1),
        "amount_received": integer(body.get("amount_received"), "amount_received", minimum=0) or 0,
    }


def instrument_code(record):
    holder = record.coupon_code if record.coupon_code_id else record.card
    return holder.code if holder is not None else None


def verification_json(record, tz_name, actor=None, store=None, code=None):
    """The record as JSON. The request that made it passes its actor, store and (normalised) code, which it already
    knows, so that answering costs no query."""
    if store is None or store.id != record.store_id:
        store = record.store
    key_name = actor.name if actor is not None and actor.id == record.api_key_id else None
    if record.api_key_id and key_name is None and record.api_key is not None:
        key_name = record.api_key.name
    return {
        "id": record.id,
        "instrument_type": record.instrument_type,
        "instrument_name": record.instrument_name,
        "code": code if code is not None else instrument_code(record),
        "method": record.method,
        "store": {"id": record.store_id, "name": store.name if store else None},
        "staff": ({"id": record.staff_id, "name": record.staff.name} if record.staff_id and record.staff else None),
        "api_key": {"id": record.api_key_id, "name": key_name} if key_name is not None else None,
        "member_id": record.member_id,
        "quantity": record.quantity,
        "amount_taken": record.amount_taken,
        "amount_received": record.amount_received,
        "created_at": record.created_at.isoformat(),
        "created_at_local": to_local(record.created_at, tz_name).isoformat(),
        "undone_at": record.undone_at.isoformat() if record.undone_at else None,
    }
