"""Security headers on every response, no-store on pages with member data, HSTS in production; /healthz and
/readyz answer for a load balancer."""
def test_does_every_page_carry_the_security_headers(client, login, make, db):
    owner = make.staff(make.merchant(), role="owner")
    db.session.commit()
    login(owner)
    for path in ("/backoffice/", "/backoffice/login", "/staff/login", "/healthz", "/sandbox/phone"):
        answer = client.get(path)
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "Strict-Transport-Security" not in answer.headers  # HTTPS is production's
    assert client.get("/backoffice/").headers["Cache-Control"] == "no-store"
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_does_production_send_hsts(app, client):
    app.config["ENV_NAME"] = "production"  # the header follows the configuration's name (config.ProductionConfig)
    try:
        answer = client.get("/healthz")
    finally:
        app.config["ENV_NAME"] = "test"
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_are_healthz_and_readyz_answering(client, app):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "not configured", "migrations": "ok"}


def test_is_readyz_not_ready_when_redis_does_not_answer(client, app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        answer = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = ""
    assert answer.status_code == 503 and answer.get_json()["checks"]["redis"].startswith("error")
