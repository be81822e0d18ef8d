"""A send from draft to done: the plan's channels and skip reasons, the frozen audience, WeChat mass calls through
the sandbox, SMS through the provider with receipts, and the month's allowance taken once per message."""
import io

from PIL import Image
from sqlalchemy import select

from models import MassQuota, SandboxMassMessage, SandboxMedia, SandboxOutbox, Send
from services.outreach import compose, plan, run
from tests.integration.outreach.support import (LATE_MORNING, delivered_openids, draft, openid_for, recipients_of,
                                                shop_with_members)


def run_to_end(db, send, now=LATE_MORNING):
    while run.run_chunk(db.session, send.id, now=now):
        db.session.commit()
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Send, send.id)


def test_does_a_wechat_send_reach_followers_once_and_skip_the_rest(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    send = draft(db, owner)
    planned = plan.preview(db.session, send, LATE_MORNING)
    assert planned.total == 5 and planned.by_channel == {"wechat": 3} and planned.skipped == {"no_wechat": 2}
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    done = run_to_end(db, send)
    assert done.status == "done" and done.total == 5 and run.progress(done) == 100
    rows = recipients_of(db, send)
    assert {rows[p.id].status for p in fans} == {"sent"}
    assert {(rows[p.id].status, rows[p.id].reason) for p in plain} == {("skipped", "no_wechat")}
    assert delivered_openids(db, shop) == sorted(openid_for(shop.id * 1000 + n) for n in range(3))
    assert sorted(db.session.scalars(select(MassQuota.used))) == [1, 1, 1]


def test_does_best_channel_fall_back_to_sms_and_count_receipts(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    send = draft(db, owner, channel="best", sms_fallback="1", sms_body="周末全场八折")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    done = run_to_end(db, send)
    rows = recipients_of(db, send)
    assert {rows[p.id].channel for p in fans} == {"wechat"} and {rows[p.id].channel for p in plain} == {"sms"}
    assert {rows[p.id].status for p in plain} <= {"delivered", "failed"}
    assert done.sms_units == 2
    texts = db.session.scalars(select(SandboxOutbox.payload).where(SandboxOutbox.kind == "sms")).all()
    assert [payload["text"] for payload in texts] == ["【群发店】周末全场八折回T退订"] * 2


def test_does_an_image_text_send_upload_its_cover_and_article_once_and_reach_followers(db, make, tmp_path, app,
                                                                                      monkeypatch):
    shop, owner, fans, plain = shop_with_members(db, make)
    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 80, 40)).save(picture, "PNG")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    send = compose.save_draft(db.session, owner, None, {
        "title": "新品图文", "content_kind": "news", "channel": "wechat", "news_title": "冬季新品",
        "news_summary": "三款新品上市", "news_body": "第一段\n第二段", "link_url": "https://example.com/menu"},
        cover_bytes=picture.getvalue(), upload_root=str(tmp_path))
    db.session.commit()
    with Image.open(tmp_path / send.cover) as kept:
        assert kept.format == "JPEG" and kept.size == (750, 500)  # re-encoded within 900 x 500
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    done = run_to_end(db, send)
    assert done.status == "done" and done.news_media_id
    news = db.session.scalars(select(SandboxMedia).where(SandboxMedia.kind == "news")).one()
    article = news.payload["articles"][0]
    assert (article["title"], article["digest"], article["content_source_url"]) == (
        "冬季新品", "三款新品上市", "https://example.com/menu")
    [message] = db.session.scalars(select(SandboxMassMessage)).all()
    assert message.payload["msgtype"] == "mpnews" and message.payload["mpnews"]["media_id"] == done.news_media_id
    assert delivered_openids(db, shop) == sorted(openid_for(shop.id * 1000 + n) for n in range(3))
