"""One place at the request boundary that refuses input the database would refuse, before any view reads it:
control characters (NUL above all: PostgreSQL cannot store it in text) in query strings, forms and JSON, ids in
URLs and id-like query parameters beyond the 32-bit columns they are looked up in. What still slips past (a
number too large for its column read by a view) is answered by web/errors.py with a 400, never a 500.

Line breaks and tabs are text a person types; every other C0 control and DEL is refused.
"""
import re

from flask import request
from werkzeug.routing import IntegerConverter

from domain.errors import DomainError, NotFound

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ID = 2**31 - 1  # the integer columns' range (PostgreSQL `integer`)
ID_LIKE = re.compile(r"(^|_)(id|cursor|page|limit|offset)$")
# Parameters WeChat and Alipay name in their redirects and notifications: their ids are theirs, and long.
FOREIGN_NAMES = frozenset({"app_id", "appid", "user_id", "seller_id", "buyer_id", "auth_app_id", "notify_id",
                           "openid", "open_id", "unionid", "msg_id", "out_trade_no", "trade_no"})
OWN_PAGES = ("/backoffice/", "/staff/", "/h5/", "/api/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_JSON_DEPTH = 20
JSON_INSPECTED_UP_TO = 16 * 1024  # larger bodies are refused by the endpoints themselves (the API: 413) unread


class BoundedInt(IntegerConverter):
    """`<int:…>` in every route: an id beyond the column's range matches no route (404), like any unknown id."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class ControlCharacters(DomainError):
    code = "control_characters"


def install(app):
    """Before the blueprints: the converter is read when their routes are added."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(refuse_bad_input)


def refuse_bad_input():
    if request.routing_exception is not None:
        return  # no route takes it: answered 404 or 405 (the API's in its own shape), and nothing reads its input
    own = request.path.startswith(OWN_PAGES)
    # Forms of our own pages only: a signed notification (payments/, wechat_bot/, sms_inbound/) verifies its raw
    # body, which parsing the form here would consume; and only when the body is a form, so that reading another
    # body does not bypass an endpoint's own size limit (the API's 413)
    sources = (request.args, request.form) if own and request.mimetype in FORM_TYPES else (request.args,)
    for source in sources:
        for key, values in source.lists():
            _check_text(key)
            for value in values:
                _check_text(value)
                if own and source is request.args and ID_LIKE.search(key) and key not in FOREIGN_NAMES:
                    _check_id(value)
    if own and request.is_json and (request.content_length or 0) <= JSON_INSPECTED_UP_TO:
        _check_json(request.get_json(silent=True), 0)


def _check_text(value):
    if CONTROL.search(value):
        raise ControlCharacters("提交的内容包含不允许的控制字符（如 NUL），请删除后重试")


def _check_id(value):
    digits = value.strip().lstrip("-")
    if digits.isdigit() and int(digits) > MAX_ID:
        raise NotFound("页面或记录不存在")


def _check_json(value, depth):
    if depth > MAX_JSON_DEPTH:
        raise DomainError("JSON 嵌套过深")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
        raise DomainError("数值超出范围")
