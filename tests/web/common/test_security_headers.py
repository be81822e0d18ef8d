"""The Content-Security-Policy restricts scripts to this site's files, and no template needs more: no inline
executable <script>, no inline event handler (onclick=, onsubmit=, a bare ontouchstart), no javascript: URL.
Forms may still end at the payment and sign-in pages the deployment's configuration points at."""
import re
from pathlib import Path

from config import REAL_ENDPOINTS
from web.headers import content_security_policy

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
# onclick="…" in a tag, or onsubmit=… handed to a macro that writes its keywords out as attributes
HANDLER_WITH_VALUE = re.compile(r"(?<![\w.-])on[a-z]{3,}\s*=", re.I)
BARE_HANDLER = re.compile(r"<[a-z][^<>]*?\son[a-z]{3,}(?=[\s/>])", re.I)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.I)


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def inline_code(text):
    """The inline scripts, handlers and javascript: URLs in one template's text, as short excerpts."""
    text = JINJA_COMMENT.sub("", text)
    found = []
    for attributes, body in SCRIPT.findall(text):
        executable = not re.search(r"""type\s*=\s*["']application/json["']""", attributes, re.I)
        if executable and body.strip() and not re.search(r"\ssrc\s*=", " " + attributes, re.I):
            found.append("<script>" + body.strip()[:60])
    found += [match.group(0) for match in HANDLER_WITH_VALUE.finditer(text)]
    found += [match.group(0)[-40:] for match in BARE_HANDLER.finditer(text)]
    found += [match.group(0) for match in JAVASCRIPT_URL.finditer(text)]
    return found


def test_does_the_policy_allow_scripts_only_from_this_site(client):
    for path in ("/backoffice/login", "/staff/login", "/sandbox/phone", "/healthz"):
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval', no foreign host
        assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["img-src"][0] == "'self'" and {"data:", "blob:"} <= set(policy["img-src"]), path
        assert policy["form-action"][0] == "'self'", path


def test_may_a_form_end_at_the_configured_payment_and_sign_in_pages():
    production = {"PUBLIC_BASE_URL": "https://vip.example.com", **REAL_ENDPOINTS}
    form_action = directives(content_security_policy(production))["form-action"]
    assert form_action == ["'self'", "https://vip.example.com", "https://openapi.alipay.com",
                           "https://mclient.alipay.com", "https://openauth.alipay.com", "https://open.weixin.qq.com"]
    sandbox = {"PUBLIC_BASE_URL": "http://127.0.0.1:5000", "ALIPAY_GATEWAY": "http://127.0.0.1:5000/sandbox/alipay/"
               "gateway.do", "ALIPAY_AUTH_URL": "http://127.0.0.1:5000/sandbox/alipay/auth",
               "WECHAT_OPEN_BASE": "http://127.0.0.1:5000/sandbox/wechat/open/"}
    assert directives(content_security_policy(sandbox))["form-action"] == ["'self'", "http://127.0.0.1:5000"]


def test_does_the_inline_code_check_see_each_kind_it_refuses():
    assert inline_code("<script>alert(1)</script>") and inline_code('<script type="text/javascript">x()</script>')
    assert inline_code('<button onclick="go()">') and inline_code("<body ontouchstart>")
    assert inline_code("""{% call f.shell(form, onsubmit="return confirm('x')") %}""")
    assert inline_code('<a href="javascript:history.back()">')
    assert inline_code('<script src="/static/js/a.js"></script><script type="application/json">{"a": 1}</script>'
                       '<button data-confirm="x" class="one">{# onclick="old()" #}') == []


def test_has_no_template_inline_script_or_handler():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        excerpts = inline_code(path.read_text())
        if excerpts:
            found[path.relative_to(TEMPLATES).as_posix()] = excerpts
    assert found == {}
