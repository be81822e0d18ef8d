"""Map errors to pages a person can read. Bad input never becomes a 500."""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError

from domain.errors import DomainError
from web import boundary

log = logging.getLogger(__name__)


def _wants_json():
    return request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")


def _render(status, title, message):
    boundary.discard_unless_kept()
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


HTTP_ERRORS = {
    400: ("bad_request", "请求格式不正确"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "页面或记录不存在"),
    405: ("method_not_allowed", "不支持的请求方式"),
    413: ("too_large", "提交的内容过大"),
}


def _page_for(status, title, message):
    def handler(exc):
        return _render(status, title, message)

    return handler


def register(app):
    @app.errorhandler(DomainError)
    def domain_error(exc):
        return _render(exc.http_status, exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render(400, "csrf", "页面已过期或请求来源不可信，请刷新页面后重试")

    for status, (title, message) in HTTP_ERRORS.items():
        app.register_error_handler(status, _page_for(status, title, message))

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def out_of_range(exc):
        """A value the database refused (a number beyond its column, on PostgreSQL; too large for SQLite): the
        request's input, not the server (web/input_guard.py stops the usual ones before any view)."""
        log.info("input refused by the database on %s: %s", request.path, type(exc).__name__)
        return _render(400, "out_of_range", "输入的数值超出范围或格式不正确")

    @app.errorhandler(500)
    def server_error(exc):
        log.exception("unhandled error on %s", request.path)
        return _render(500, "server_error", "系统繁忙，请稍后再试")
