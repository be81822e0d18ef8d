"""The site root: in development a start page linking to everything `make run` prints; in production the back-office
login (no 404 either way)."""
import re
from urllib.parse import parse_qs, urlsplit


def test_does_the_root_link_to_every_place_a_newcomer_needs(client, app):
    answer = client.get("/")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    links = set(re.findall(r'href="([^"]+)"', page))
    for path in ("/backoffice/login", "/staff/login", "/sandbox/phone?m=demo", "/sandbox/sms", "/api/v1/docs",
                 "/healthz"):
        assert path in links, path
    base = app.config["PUBLIC_BASE_URL"]
    member = next(link for link in links if link.startswith("/sandbox/phone/open?"))
    assert parse_qs(urlsplit(member).query)["url"] == [f"{base}/h5/demo/"]  # opened as the phone's WeChat user
    assert "会员中心" in page and "短信发件箱" in page and "模拟手机" in page


def test_does_the_root_open_the_back_office_login_in_production(client, app):
    app.config["SANDBOX_ENABLED"] = False
    try:
        answer = client.get("/")
    finally:
        app.config["SANDBOX_ENABLED"] = True
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/backoffice/login")
