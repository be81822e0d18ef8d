"""The sandbox SMS outbox page: what the sandbox provider sent, grouped by phone, newest first."""
from datetime import timedelta

from domain.clock import now_utc
from models import SandboxOutbox
from tests.web.helpers import text_of


def _sms(db, mobile, text, seconds_ago):
    db.session.add(SandboxOutbox(kind="sms", recipient=mobile, payload={"text": text},
                                 created_at=now_utc() - timedelta(seconds=seconds_ago)))


def test_does_the_outbox_group_messages_by_phone_newest_first(client, db):
    _sms(db, "13100000001", "第一条 111111", 30)
    _sms(db, "13100000002", "别人的 222222", 20)
    _sms(db, "13100000001", "第二条 333333", 10)
    db.session.add(SandboxOutbox(kind="template", recipient="o-x", payload={"text": "不是短信"}))
    db.session.commit()
    page = text_of(client.get("/sandbox/sms"))
    assert page.index('data-phone="13100000001"') < page.index('data-phone="13100000002"')
    assert page.index("第二条 333333") < page.index("第一条 111111")
    assert "（2 条）" in page and "不是短信" not in page


def test_can_the_outbox_show_one_phone_only(client, db):
    _sms(db, "13100000001", "给一号 111111", 5)
    _sms(db, "13100000002", "给二号 222222", 5)
    db.session.commit()
    page = text_of(client.get("/sandbox/sms", query_string={"phone": "131-0000-0002"}))
    assert "给二号" in page and "给一号" not in page


def test_is_the_outbox_empty_state_explicit(client, db):
    assert "暂无短信" in text_of(client.get("/sandbox/sms"))
