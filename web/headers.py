"""Security headers on every response, set at the boundary.

- No page may be framed (`frame-ancestors 'none'`, X-Frame-Options DENY): the back office cannot be clicked
  through from another site. No plugins, no foreign <base>, forms post only to us or to the payment channels'
  pages (WeChat Pay and Alipay's cashier are navigations, not form posts from our pages, except the sandbox's).
- Browsers take the declared type (nosniff) and send only our origin as the referrer to other sites.
- Pages that carry member or staff data are never stored by a browser or a proxy (`no-store`): the member pages,
  the staff page, the back office and the JSON API.
- In production (HTTPS): HSTS for a year; the session cookie is Secure there already (config.ProductionConfig).

Scripts are not restricted yet: some pages still carry inline scripts (see the README's Production section).
"""
from flask import current_app, request

PRIVATE = ("/h5/", "/staff/", "/backoffice/", "/api/")
CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
HSTS = "max-age=31536000; includeSubDomains"


def install(app):
    app.after_request(_secure)


def _secure(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith(PRIVATE):
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
