"""Security headers on every response, set at the boundary.

- Content-Security-Policy: scripts run only from files on this site (`script-src 'self'`, no inline script, no
  inline event handler, no eval): templates keep their JavaScript in static/js/ and hand it data through data-*
  attributes or a `<script type="application/json">` block, which is data and never runs. WeChat's JS-SDK and
  ECharts are vendored under static/vendor/, so no foreign script host is allowed. Everything else loads from us
  too (`default-src 'self'`, fetches `connect-src 'self'`); images may also be data: and blob: URLs (QR codes,
  WeUI's icons). Styles allow inline `style=` attributes ('unsafe-inline'): pages use them, and a style cannot
  run code.
- No page may be framed (`frame-ancestors 'none'`, X-Frame-Options DENY): the back office cannot be clicked
  through from another site. No plugins, no foreign <base>.
- Forms post only to us (`form-action`), but a post may end in a redirect that the browser checks too: paying
  by Alipay redirects to its gateway and on to its wap cashier, a lapsed member session to WeChat's or Alipay's
  authorisation, the sandbox's cashiers back to PUBLIC_BASE_URL. Those origins come from the configuration
  (config.REAL_ENDPOINTS, or the sandbox's paths on PUBLIC_BASE_URL), so the policy follows the deployment.
- Browsers take the declared type (nosniff) and send only our origin as the referrer to other sites.
- Pages that carry member or staff data are never stored by a browser or a proxy (`no-store`): the member pages,
  the staff page, the back office and the JSON API.
- In production (HTTPS): HSTS for a year; the session cookie is Secure there already (config.ProductionConfig).
"""
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, request

PRIVATE = ("/h5/", "/staff/", "/backoffice/", "/api/")
HSTS = "max-age=31536000; includeSubDomains"
# Where a form post may be redirected: our own public address and the channels' pages the member is sent to.
REDIRECT_TARGETS = ("PUBLIC_BASE_URL", "ALIPAY_GATEWAY", "ALIPAY_AUTH_URL", "WECHAT_OPEN_BASE")
# Alipay's gateway forwards a wap payment to its cashier on another host.
ALIPAY_CASHIER = {"openapi.alipay.com": "https://mclient.alipay.com"}


def install(app):
    app.after_request(_secure)


def content_security_policy(config):
    """The policy for this deployment's configuration (its public address and the channels' endpoints)."""
    return _policy(tuple(config.get(key) or "" for key in REDIRECT_TARGETS))


@lru_cache(maxsize=8)
def _policy(redirect_targets):
    public = _origin(redirect_targets[0])
    form_targets = []
    for url in redirect_targets:
        origin = _origin(url)
        for target in (origin, ALIPAY_CASHIER.get(urlsplit(url).hostname or "")):
            if target and target not in form_targets:
                form_targets.append(target)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        " ".join(["form-action 'self'"] + form_targets),
        " ".join(["img-src 'self'"] + ([public] if public else []) + ["data:", "blob:"]),
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
    ]
    return "; ".join(directives)


def _origin(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _secure(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith(PRIVATE):
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
