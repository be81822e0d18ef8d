"""The 群发 pages: list, draft form, the send's page (plan, preview, submit, confirm, cancel, progress, report) and
群发设置, through the test client on PostgreSQL. Jobs run inline in tests (no REDIS_URL), so a submitted send runs
to its end against the sandbox before the redirect is answered."""
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import g
from sqlalchemy import select

from domain import roles
from models import Audience, MessagingSettings, SandboxMassMessage, Send
from services.outreach import run
from tests.factories import PASSWORD
from tests.integration.outreach.support import draft, shop_with_members
from tests.web.helpers import count, fresh, text_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture()
def shop(db, make):
    """A shop with 3 followers and 2 members who only have a phone; its owner."""
    return shop_with_members(db, make)


@pytest.fixture()
def sign_in(app):
    """sign_in(staff): a test client of its own, signed in as that staff member. The tests keep one app context
    open and Flask-Login caches the user in `g` there: after a switch, only the last one signed in is used."""

    def signed_in(staff):
        g.pop("_login_user", None)
        browser = app.test_client()
        answer = browser.post("/backoffice/login", data={"merchant": staff.merchant.slug, "username": staff.username,
                                                          "password": PASSWORD})
        assert answer.status_code == 302, text_of(answer)
        return browser

    return signed_in


def new_send(browser, **values):
    data = {"title": "双旦活动", "audience": "all", "content_kind": "text", "channel": "wechat",
            "text": "新品上市，欢迎到店", **values}
    return browser.post("/backoffice/sends/new", data=data, content_type="multipart/form-data")


def created_id(answer):
    assert answer.status_code == 302, text_of(answer)
    return int(re.search(r"/backoffice/sends/(\d+)$", answer.location).group(1))


def flash_of(body):
    return " ".join(re.findall(r'class="bo-flash bo-flash_warning"[^>]*>([^<]*)<', body))


@pytest.mark.parametrize("role", [roles.OWNER, roles.OPERATOR])
def test_do_the_pages_render_for_owner_and_operator(db, make, shop, sign_in, role):
    merchant, owner, _fans, _plain = shop
    staff = owner if role == roles.OWNER else make.staff(merchant, role=role)
    db.session.commit()
    send = draft(db, owner)
    browser = sign_in(staff)
    for url in ("/backoffice/sends", "/backoffice/sends/new", "/backoffice/sends/settings",
                f"/backoffice/sends/{send.id}", f"/backoffice/sends/{send.id}/edit"):
        answer = browser.get(url)
        assert answer.status_code == 200, url
    listing = text_of(browser.get("/backoffice/sends"))
    assert "双旦活动" in listing and "草稿" in listing and "新建群发" in listing and "群发设置" in listing
    form = text_of(browser.get("/backoffice/sends/new"))
    assert 'data-signature="【群发店】"' in form and 'data-tail="回T退订"' in form and 'data-max="70"' in form
    assert 'accept="image/jpeg,image/png"' in form and "静默时段(21:00–08:00)内跳过短信" in form
    menu = text_of(browser.get("/backoffice/"))
    assert 'href="/backoffice/sends"' in menu


def test_does_a_text_draft_show_its_plan_run_and_report(db, shop, sign_in):
    merchant, owner, fans, plain = shop
    browser = sign_in(owner)
    send_id = created_id(new_send(browser))
    body = text_of(browser.get(f"/backoffice/sends/{send_id}"))
    assert '<dd id="plan-total">5</dd>' in body
    assert '<dd data-channel="wechat">3</dd>' in body
    assert "未关注公众号" in body and '<dd data-reason="no_wechat">2</dd>' in body
    assert '<dd id="plan-quota">0</dd>' in body
    assert all(person.mobile in body for person in fans + plain)
    progress = browser.get(f"/backoffice/sends/{send_id}/progress.json").get_json()
    assert progress == {"status": "draft", "status_label": "草稿", "progress": 0, "handled": 0, "total": 0}
    submitted = browser.post(f"/backoffice/sends/{send_id}/submit", data={})
    assert submitted.status_code == 302
    send = fresh(db.session.get(Send, send_id))
    assert send.status == "done" and send.total == 5
    report = text_of(browser.get(f"/backoffice/sends/{send_id}"))
    assert '<dd id="report-targeted">5</dd>' in report and '<dd data-sent="wechat">3</dd>' in report
    assert '<dd data-reason="no_wechat">2</dd>' in report and "发送报告" in report
    progress = browser.get(f"/backoffice/sends/{send_id}/progress.json").get_json()
    assert progress["status"] == "done" and progress["progress"] == 100 and progress["total"] == 5
    listing = text_of(browser.get("/backoffice/sends"))
    assert "已完成" in listing and "员工owner" in listing
    again = browser.post(f"/backoffice/sends/{send_id}/submit", data={})
    assert again.status_code == 400 and "该群发已提交" in flash_of(text_of(again))
    assert fresh(send).status == "done"


def test_does_an_sms_send_use_the_signature_and_quiet_hours_choice(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    browser = sign_in(owner)
    send_id = created_id(new_send(browser, channel="sms", sms_body="周末全场八折", quiet_skip="y"))
    send = db.session.get(Send, send_id)
    assert send.channel == "sms" and send.quiet_skip is True and send.sms_body == "周末全场八折"
    body = text_of(browser.get(f"/backoffice/sends/{send_id}"))
    assert "【群发店】周末全场八折回T退订" in body and "send-preview" not in body


def test_is_an_empty_audience_refused_at_submit(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    nobody = Audience(merchant_id=merchant.id, name="常客", filters={"visits_min": 100})
    db.session.add(nobody)
    db.session.commit()
    browser = sign_in(owner)
    send_id = created_id(new_send(browser, audience=str(nobody.id)))
    assert db.session.get(Send, send_id).audience_id == nobody.id
    answer = browser.post(f"/backoffice/sends/{send_id}/submit", data={})
    assert answer.status_code == 400 and "人群中没有会员" in flash_of(text_of(answer))
    assert fresh(db.session.get(Send, send_id)).status == "draft"


@pytest.mark.parametrize("values, message", [
    ({"text": "好" * 10000}, "消息内容不能超过 600 个字符"),
    ({"channel": "sms", "sms_body": "😀" * 40}, "超过 70 字"),
    ({"channel": "sms", "sms_body": "欢迎参加革命纪念活动"}, "敏感词“革命”"),
    ({"title": ""}, "请填写群发名称"),
    ({"content_kind": "news", "news_title": "新品", "news_body": "正文",
      "cover": (io.BytesIO(b"not an image"), "x.jpg")}, "封面必须是 JPG 或 PNG 图片"),
])
def test_is_bad_input_refused_with_a_message_and_nothing_stored(app, db, shop, sign_in, tmp_path, monkeypatch,
                                                                 values, message):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    merchant, owner, _fans, _plain = shop
    browser = sign_in(owner)
    answer = new_send(browser, **values)
    assert answer.status_code == 400
    assert message in flash_of(text_of(answer))
    assert count(Send) == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("values", [{"title": "a\x00b"}, {"text": "a\x00b"}])
def test_is_a_control_character_refused_at_the_boundary_and_nothing_stored(db, shop, sign_in, values):
    merchant, owner, _fans, _plain = shop
    answer = new_send(sign_in(owner), **values)
    assert answer.status_code == 400 and "控制字符" in text_of(answer)  # web/input_guard.py, before the form
    assert count(Send) == 0


def test_is_a_bad_edit_refused_and_the_draft_left_as_it_was(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    send = draft(db, owner)
    browser = sign_in(owner)
    answer = browser.post(f"/backoffice/sends/{send.id}/edit", content_type="multipart/form-data", data={
        "title": "改名", "audience": "all", "content_kind": "text", "channel": "sms", "sms_body": "革命"})
    assert answer.status_code == 400 and "敏感词" in flash_of(text_of(answer))
    kept = fresh(send)
    assert (kept.title, kept.channel, kept.sms_body) == ("双旦活动", "wechat", "")
    edited = browser.post(f"/backoffice/sends/{send.id}/edit", content_type="multipart/form-data", data={
        "title": "改名", "audience": "all", "content_kind": "text", "channel": "wechat", "text": "新的内容"})
    assert edited.status_code == 302 and fresh(send).title == "改名"


def test_does_a_real_cover_get_stored(app, db, shop, sign_in, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    merchant, owner, _fans, _plain = shop
    picture = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(picture, "PNG")
    picture.seek(0)
    browser = sign_in(owner)
    send_id = created_id(new_send(browser, content_kind="news", news_title="新品", news_body="正文",
                                  link_url="https://example.com/a", cover=(picture, "cover.png")))
    send = db.session.get(Send, send_id)
    assert send.cover and (tmp_path / send.cover).exists()


def test_is_another_merchants_send_not_found(db, make, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    _other, stranger, _f, _p = shop_with_members(db, make, name="别家")
    theirs = draft(db, stranger)
    browser = sign_in(owner)
    for url in (f"/backoffice/sends/{theirs.id}", f"/backoffice/sends/{theirs.id}/edit",
                f"/backoffice/sends/{theirs.id}/progress.json"):
        assert browser.get(url).status_code == 404, url
    for action in ("edit", "submit", "cancel", "confirm", "preview"):
        answer = browser.post(f"/backoffice/sends/{theirs.id}/{action}", data={"mobile": "13800138000"})
        assert answer.status_code == 404, action
    assert fresh(theirs).status == "draft"


def test_does_a_large_operator_send_wait_for_the_owner(db, make, shop, sign_in, monkeypatch):
    monkeypatch.setattr(run, "CONFIRM_ABOVE", 2)
    merchant, owner, _fans, _plain = shop
    operator = make.staff(merchant, role=roles.OPERATOR)
    db.session.commit()
    as_operator = sign_in(operator)
    send_id = created_id(new_send(as_operator))
    page = text_of(as_operator.get(f"/backoffice/sends/{send_id}"))
    assert "提交后由店主或管理员确认发送" in page and "我确认向" not in page
    assert as_operator.post(f"/backoffice/sends/{send_id}/submit", data={}).status_code == 302
    assert fresh(db.session.get(Send, send_id)).status == "awaiting_confirm"
    assert "send-confirm" not in text_of(as_operator.get(f"/backoffice/sends/{send_id}"))
    assert as_operator.post(f"/backoffice/sends/{send_id}/confirm").status_code == 403
    assert fresh(db.session.get(Send, send_id)).status == "awaiting_confirm"
    as_owner = sign_in(owner)
    assert "send-confirm" in text_of(as_owner.get(f"/backoffice/sends/{send_id}"))
    assert as_owner.post(f"/backoffice/sends/{send_id}/confirm").status_code == 302
    send = fresh(db.session.get(Send, send_id))
    assert send.confirmed_by_id == owner.id and send.status == "done"


def test_must_an_owner_tick_the_box_for_a_large_send(db, shop, sign_in, monkeypatch):
    monkeypatch.setattr(run, "CONFIRM_ABOVE", 2)
    merchant, owner, _fans, _plain = shop
    send = draft(db, owner)
    browser = sign_in(owner)
    assert "我确认向 5 位会员发送" in text_of(browser.get(f"/backoffice/sends/{send.id}"))
    refused = browser.post(f"/backoffice/sends/{send.id}/submit", data={})
    assert refused.status_code == 400 and "请勾选确认" in flash_of(text_of(refused))
    assert fresh(send).status == "draft"
    assert browser.post(f"/backoffice/sends/{send.id}/submit", data={"confirm_large": "y"}).status_code == 302
    assert fresh(send).status == "done"


def test_does_a_scheduled_send_wait_and_cancel(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    send = draft(db, owner)
    browser = sign_in(owner)
    bad = browser.post(f"/backoffice/sends/{send.id}/submit", data={"scheduled_at": "明天"})
    assert bad.status_code == 400 and "定时发送的时间格式" in text_of(bad)
    too_far = browser.post(f"/backoffice/sends/{send.id}/submit", data={"scheduled_at": "2099-01-01T09:00"})
    assert too_far.status_code == 400 and "最多提前 30 天" in text_of(too_far)
    local = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    assert browser.post(f"/backoffice/sends/{send.id}/submit",
                        data={"scheduled_at": f"{local:%Y-%m-%dT%H:%M}"}).status_code == 302
    scheduled = fresh(send)
    assert scheduled.status == "scheduled"
    assert scheduled.scheduled_at == local.astimezone(timezone.utc)  # 09:00 in Shanghai is 01:00 UTC
    page = text_of(browser.get(f"/backoffice/sends/{send.id}"))
    assert f"{local:%Y-%m-%d} 09:00" in page and "data-progress-url" in page
    assert browser.get(f"/backoffice/sends/{send.id}/progress.json").get_json()["status_label"] == "待发送"
    assert browser.post(f"/backoffice/sends/{send.id}/cancel").status_code == 302
    assert fresh(send).status == "cancelled"
    again = browser.post(f"/backoffice/sends/{send.id}/cancel")
    assert again.status_code == 400 and "无法取消" in flash_of(text_of(again))
    assert "已取消" in text_of(browser.get(f"/backoffice/sends/{send.id}"))


def test_does_a_draft_cancel(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    send = draft(db, owner)
    browser = sign_in(owner)
    assert browser.post(f"/backoffice/sends/{send.id}/cancel").status_code == 302
    assert fresh(send).status == "cancelled"
    assert browser.get(f"/backoffice/sends/{send.id}/edit").status_code == 302


def test_does_a_preview_reach_a_follower_only(db, shop, sign_in):
    merchant, owner, fans, plain = shop
    send = draft(db, owner)
    browser = sign_in(owner)
    before = count(SandboxMassMessage)
    sent = browser.post(f"/backoffice/sends/{send.id}/preview", data={"mobile": fans[0].mobile})
    assert sent.status_code == 302
    assert count(SandboxMassMessage) == before + 1
    refused = browser.post(f"/backoffice/sends/{send.id}/preview", data={"mobile": plain[0].mobile})
    assert refused.status_code == 400 and "没有关注公众号" in flash_of(text_of(refused))
    malformed = browser.post(f"/backoffice/sends/{send.id}/preview", data={"mobile": "abc"})
    assert malformed.status_code == 400
    assert fresh(send).status == "draft"


def test_do_the_settings_save_and_apply_to_the_sms(db, shop, sign_in):
    merchant, owner, _fans, _plain = shop
    browser = sign_in(owner)
    saved = browser.post("/backoffice/sends/settings", data={"sms_signature": "小店", "own_words": "秒杀\n清仓",
                                                            "sms_fallback": ""})
    assert saved.status_code == 302
    row = db.session.scalars(select(MessagingSettings)).one()
    assert (row.sms_signature, row.own_words, row.sms_fallback) == ("小店", ["秒杀", "清仓"], False)
    page = text_of(browser.get("/backoffice/sends/settings"))
    assert "秒杀\n清仓" in page and "【小店】" in page
    refused = new_send(browser, channel="sms", sms_body="限时秒杀")
    assert refused.status_code == 400 and "敏感词“秒杀”" in flash_of(text_of(refused))
    bad = browser.post("/backoffice/sends/settings", data={"sms_signature": "【坏\x00】", "own_words": ""})
    assert bad.status_code == 400
    assert fresh(row).sms_signature == "小店"


def test_is_another_merchants_audience_or_coupon_refused_in_a_send(db, make, shop, sign_in):
    from domain.errors import NotFound
    from services.audiences import filters as audience_filters, saved as saved_audiences
    from services.outreach import compose

    merchant, owner, _fans, _plain = shop
    _other, stranger, _f, _p = shop_with_members(db, make, name="别家")
    theirs = saved_audiences.save(db.session, stranger, None, name="他们的人群",
                                  filters=audience_filters.parse({"genders": ["female"]}))
    db.session.commit()
    browser = sign_in(owner)
    assert browser.get(f"/backoffice/audiences/{theirs.id}").status_code == 404
    before = count(Send)
    answer = browser.post("/backoffice/sends/new", data={"title": "越权", "audience": str(theirs.id),
                                                         "content_kind": "text", "channel": "wechat", "text": "x"})
    assert answer.status_code == 400 and count(Send) == before
    with pytest.raises(NotFound):
        compose.save_draft(db.session, owner, None, {"title": "越权", "audience_id": theirs.id, "text": "x"})
    db.session.rollback()
    assert count(Send) == before
