"""The sandbox SMS gateway: marketing messages in bulk, delivery reports, and replies posted to the app signed."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from channels import sms
from models import SandboxOutbox
from sandbox import sms as sandbox_sms


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    db.session.commit()
    return merchant


def references(n):
    return [(f"send-3-member-{i}", f"139{i:08d}", f"【茶饮店】会员日全场八折，回T退订 {i}") for i in range(n)]


def test_are_marketing_messages_kept_in_the_outbox_in_bulk(shop, db):
    sms.provider().send_many(db.session, shop.id, references(1000))
    db.session.commit()
    rows = db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms")
                              .order_by(SandboxOutbox.id)).all()
    assert len(rows) == 1000 and rows[0].recipient == "13900000000"
    assert rows[0].payload == {"text": "【茶饮店】会员日全场八折，回T退订 0", "merchant_id": shop.id,
                               "reference": "send-3-member-0", "marketing": True}


def test_do_about_65_percent_arrive_always_the_same_ones(shop, db):
    provider = sms.provider()
    provider.send_many(db.session, shop.id, references(1000))
    db.session.commit()
    asked = [reference for reference, _mobile, _text in references(1000)] + ["never-sent"]
    reports = provider.delivery_reports(db.session, asked)
    assert len(reports) == 1000 and "never-sent" not in reports
    delivered = sum(1 for outcome in reports.values() if outcome == sms.DELIVERED)
    assert 580 <= delivered <= 720
    assert set(reports.values()) == {sms.DELIVERED, sms.FAILED}
    assert provider.delivery_reports(db.session, asked) == reports


def test_is_the_share_a_setting(app, shop, db, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_SMS_DELIVERY_SHARE", 0)
    provider = sms.provider()
    provider.send_many(db.session, shop.id, references(50))
    reports = provider.delivery_reports(db.session, [reference for reference, _m, _t in references(50)])
    assert set(reports.values()) == {sms.FAILED}


@pytest.fixture()
def inbound(app, monkeypatch):
    """A stand-in for the app's inbound route that keeps what the gateway posted: [(path, form)]."""
    posted = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            posted.append((self.path, dict(parse_qsl(body))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    yield posted
    server.shutdown()
    server.server_close()


def test_does_a_reply_reach_the_app_signed(app, shop, db, client, inbound):
    sms.provider().send(db.session, "13900000007", "您的验证码是 123456")  # not marketing: says no merchant
    sms.provider().send_many(db.session, shop.id, [("send-3-member-7", "13900000007", "会员日八折，回T退订")])
    db.session.commit()
    client.post("/sandbox/sms/reply", data={"phone": "13900000007", "text": "T"})
    [(path, form)] = inbound
    assert path == "/sms/inbound/sandbox"
    assert sms.verify_inbound(app.config, form) == ("13900000007", "T", shop.id)
    with pytest.raises(sms.InboundRefused):
        sms.verify_inbound(app.config, {**form, "text": "好的"})
    with pytest.raises(sms.InboundRefused):
        sms.verify_inbound(app.config, {**form, "merchant_id": str(shop.id + 1)})
    with pytest.raises(sms.InboundRefused):
        sms.verify_inbound(app.config, form, now=int(form["timestamp"]) + 301)
    with pytest.raises(sms.InboundRefused):
        sms.verify_inbound(app.config, {key: value for key, value in form.items() if key != "signature"})
    page = client.get("/sandbox/sms").get_data(as_text=True)
    assert "用户回复：T" in page and "推送给应用：200" in page and 'name="text" value="T"' in page


def test_is_a_reply_without_a_marketing_message_not_posted(shop, db, client, inbound):
    sms.provider().send(db.session, "13900000008", "您的验证码是 654321")
    db.session.commit()
    client.post("/sandbox/sms/reply", data={"phone": "13900000008", "text": "T"})
    assert inbound == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SandboxOutbox)
                             .where(SandboxOutbox.kind == "sms_in")) == 1


def test_does_a_stale_signed_form_fail_however_well_signed(app, shop):
    form = sandbox_sms.inbound_form(app.config, "13900000009", "T", shop.id, timestamp=time.time() - 600)
    with pytest.raises(sms.InboundRefused):
        sms.verify_inbound(app.config, form)
    fresh = sandbox_sms.inbound_form(app.config, "13900000009", "T", shop.id)
    assert sms.verify_inbound(app.config, fresh) == ("13900000009", "T", shop.id)
