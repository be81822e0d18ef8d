"""Every API error has one shape: {"error": {"code", "message" (Chinese), "details"}} with a fitting status."""
import logging

from flask import jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as NoSuchRoute

from api import blueprint
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from extensions import db
from web import boundary

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "缺少或无效的接口密钥"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "接口或记录不存在"),
    405: ("method_not_allowed", "不支持的请求方式"),
    413: ("too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请以 application/json 提交"),
}


class ApiError(Exception):
    """A refusal decided by the API layer itself (auth, validation, rate limit)."""

    def __init__(self, status, code, message, **details):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status, code, message, details=None, headers=None):
    response = jsonify(error={"code": code, "message": message, "details": details or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_of(exc: DomainError):
    """Domain refusals as HTTP: a rule broken by the input is a validation error (422)."""
    if isinstance(exc, (NotFound, PermissionDenied, Conflict)):
        return exc.http_status
    return 422


def domain_response(exc: DomainError):
    code = exc.code if exc.code != "invalid" else "validation_error"
    return error_response(status_of(exc), code, exc.message, _json_safe(exc.details))


def _json_safe(details):
    return {k: (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v))
            for k, v in (details or {}).items()}


@blueprint.errorhandler(ApiError)
def _api_error(exc):
    boundary.discard_unless_kept()
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else None
    if exc.status == 429:
        headers = {"Retry-After": str(exc.details.get("retry_after", 60))}
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


@blueprint.errorhandler(DomainError)
def _domain_error(exc):
    boundary.discard_unless_kept()
    return domain_response(exc)


@blueprint.errorhandler(HTTPException)
def _http_error(exc):
    boundary.discard_unless_kept()
    code, message = HTTP_MESSAGES.get(exc.code, ("http_error", "请求无法处理"))
    return error_response(exc.code or 500, code, message, headers=_allow_header(exc))


def _allow_header(exc):
    """A 405 names the methods the path does take (RFC 9110), so a client can correct itself."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        return {"Allow": ", ".join(sorted(exc.valid_methods))}
    return None


def answer_unrouted_api_request():
    """A path under the API's prefix that no route takes (404), or a method its route does not take (405): no
    endpoint of the blueprint matched, so Flask would give the app's HTML-page handlers the error. Answered here,
    before them, in the API's one error shape."""
    exc = request.routing_exception
    prefix = blueprint.url_prefix
    if not isinstance(exc, (NoSuchRoute, MethodNotAllowed)):
        return None  # routed (or a redirect to the canonical URL)
    if request.path != prefix and not request.path.startswith(prefix + "/"):
        return None
    return _http_error(exc)


# The app's handlers are registered per status code, and Flask prefers any handler for the code over a class
# handler of the blueprint; so the blueprint claims each code it answers too.
for _status in HTTP_MESSAGES:
    blueprint.register_error_handler(_status, _http_error)


@blueprint.errorhandler(DataError)
@blueprint.errorhandler(OverflowError)
def _out_of_range(exc):
    """A value the database refused (beyond its column): the caller's input, not the server. The blueprint's
    catch-all below would otherwise outrank the app's page handler for these."""
    db.session.rollback()
    log.info("API input refused by the database on %s: %s", request.path, type(exc).__name__)
    return error_response(422, "validation_error", "输入的数值超出范围或格式不正确")


@blueprint.errorhandler(Exception)
def _unexpected(exc):
    db.session.rollback()  # whatever it kept: an unexpected error keeps nothing
    log.exception("unhandled API error")
    return error_response(500, "server_error", "系统繁忙，请稍后再试")
