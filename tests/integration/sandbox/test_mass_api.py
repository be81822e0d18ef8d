"""The sandbox's WeChat mass API enforces WeChat's limits for the app's own wechatpy client, over real HTTP."""
import io
import threading
from datetime import timedelta

import png
import pytest
import requests
import xmltodict
from sqlalchemy import func, select
from wechatpy.exceptions import WeChatClientException

from channels.wechat import client_for
from domain.clock import now_utc
from models import SandboxMassMessage, SandboxMassRecipient
from sandbox import wechat_events as events, wechat_mass_report, wechat_mass_store, wechat_state as sbx


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    sbx.provision_account(db.session, merchant)
    db.session.commit()
    return merchant


@pytest.fixture()
def person(shop, db):
    row = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小王")
    db.session.commit()
    return row


def openids(n, prefix="o"):
    return [f"{prefix}{i:027d}"[-28:] for i in range(n)]


def refused(call, *args, **kwargs):
    with pytest.raises(WeChatClientException) as caught:
        call(*args, **kwargs)
    return caught.value


def counted(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def deliveries(db, message_id):
    db.session.expire_all()
    return dict(db.session.execute(select(SandboxMassRecipient.openid, SandboxMassRecipient.delivered)
                                   .where(SandboxMassRecipient.message_id == message_id)).all())


def png_file(width=4, height=3):
    data = io.BytesIO()
    png.Writer(width, height, greyscale=True).write(data, [[128] * width for _ in range(height)])
    data.seek(0)
    return data


# --- the list, the minute, clientmsgid ---------------------------------------------------------------------------

def test_is_a_list_of_10001_openids_refused_and_10000_accepted(shop, db):
    client = client_for(shop)
    assert refused(client.message.send_mass_text, openids(10001), "周末八折").errcode == 40130
    assert counted(db, SandboxMassMessage) == 0
    sent = client.message.send_mass_text(openids(10000), "周末八折")
    assert sent["errcode"] == 0 and sent["errmsg"] == "send job submission success"
    message = db.session.get(SandboxMassMessage, sent["msg_id"])
    assert (message.total, message.sent, message.errors) == (10000, 10000, 0)
    assert "touser" not in message.payload and message.payload["text"] == {"content": "周末八折"}
    assert counted(db, SandboxMassRecipient) == 10000


def test_is_the_61st_call_within_a_minute_refused(app, shop, person, db, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_WECHAT_MASS_PER_MINUTE", 60)
    client = client_for(shop)
    for openid in openids(60):
        client.message.send_mass_text([openid], "限时活动")
    assert refused(client.message.send_mass_text, [person.user_key], "限时活动").errcode == 45011
    assert counted(db, SandboxMassMessage) == 60
    assert client.message.send_mass_text(person.user_key, "预览", preview=True)["errcode"] == 0  # previews aside


def test_does_a_replayed_clientmsgid_answer_45065_with_the_first_msg_id(shop, person, db):
    client = client_for(shop)
    first = client.message.send_mass_text([person.user_key], "会员日", client_msg_id="send-7-batch-1")
    again = refused(client.message.send_mass_text, [person.user_key, "o" + "x" * 27], "会员日",
                    client_msg_id="send-7-batch-1")
    assert again.errcode == 45065 and again.response.json()["msg_id"] == first["msg_id"]
    assert counted(db, SandboxMassMessage) == 1 and counted(db, SandboxMassRecipient) == 1
    assert client.message.send_mass_text([person.user_key], "会员日", client_msg_id="send-7-batch-2")["errcode"] == 0


# --- four a month ------------------------------------------------------------------------------------------------

def test_is_the_fifth_message_of_a_month_dropped_for_that_follower_only(shop, person, db, monkeypatch):
    client, other = client_for(shop), "o" + "b" * 27
    for n in range(4):
        client.message.send_mass_text([person.user_key], f"第{n + 1}条")
    fifth = client.message.send_mass_text([person.user_key, other], "第5条")
    assert deliveries(db, fifth["msg_id"]) == {person.user_key: False, other: True}
    dropped = db.session.get(SandboxMassMessage, fifth["msg_id"])
    assert (dropped.total, dropped.sent, dropped.errors) == (2, 1, 1)
    next_month = now_utc() + timedelta(days=32)
    monkeypatch.setattr(wechat_mass_store, "now_utc", lambda: next_month)
    again = client.message.send_mass_text([person.user_key], "下个月")
    assert deliveries(db, again["msg_id"]) == {person.user_key: True}


def test_do_previews_count_neither_the_month_nor_beyond_100_a_day(shop, person, db):
    client = client_for(shop)
    for n in range(3):
        client.message.send_mass_text([person.user_key], f"第{n + 1}条")
    for _ in range(2):
        shown = client.message.send_mass_text(person.user_key, "预览一下", preview=True)
        assert deliveries(db, shown["msg_id"]) == {person.user_key: True}
    fourth = client.message.send_mass_text([person.user_key], "第4条")
    assert deliveries(db, fourth["msg_id"]) == {person.user_key: True}
    db.session.add_all(SandboxMassMessage(app_id=shop.wechat_app_id, preview=True, payload={}) for _ in range(98))
    db.session.commit()
    assert refused(client.message.send_mass_text, person.user_key, "预览", preview=True).errcode == 45028


# --- media and articles -------------------------------------------------------------------------------------------

def test_are_uploads_refused_unless_they_are_images(shop, db, live_server):
    client = client_for(shop)
    assert refused(client.media.upload_image, io.BytesIO(b"not an image")).errcode == 40005
    assert refused(client.media.upload, "thumb", io.BytesIO(b"not an image")).errcode == 40005
    assert refused(client.media.upload, "voice", png_file()).errcode == 40004
    url = client.media.upload_image(png_file())
    served = requests.get(url, timeout=5)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.content == png_file().getvalue()
    thumb = client.media.upload("thumb", png_file())
    assert thumb["type"] == "thumb" and thumb["media_id"] and thumb["created_at"]
    big = io.BytesIO(png_file().getvalue() + b"\0" * (1024 * 1024))
    assert refused(client.media.upload, "thumb", big).errcode == 40006


def _news(client, **article):
    thumb = client.media.upload("thumb", png_file())["media_id"]
    return client.media.upload_articles([{
        "thumb_media_id": thumb, "title": "会员日八折", "digest": "本周六全场八折", "author": "茶饮店",
        "content": '<p>全场<strong>八折</strong></p><script>alert(1)</script><p onclick="x()">欢迎光临</p>',
        "content_source_url": "http://127.0.0.1/h5/tea/", "show_cover_pic": 1, **article}])["media_id"]


def test_are_articles_and_mpnews_refused_for_an_unknown_media(shop, person):
    client = client_for(shop)
    assert refused(client.media.upload_articles, [{"thumb_media_id": "nope", "title": "标题",
                                                   "content": "<p>正文</p>"}]).errcode == 40007
    assert refused(client.message.send_mass_article, [person.user_key], "nope").errcode == 40007


def test_does_an_mpnews_message_show_as_a_card_for_its_recipient_only(shop, person, db, client):
    wechat = client_for(shop)
    media_id = _news(wechat)
    wechat.message.send_mass_article([person.user_key], media_id, client_msg_id="news-1")
    stranger = sbx.create_wechat_user(db.session, shop.wechat_app_id, "路人")
    db.session.commit()
    client.set_cookie("sandbox_wechat_user", str(person.id))
    page = client.get(f"/sandbox/phone?m={shop.slug}").get_data(as_text=True)
    assert "会员日八折" in page and "本周六全场八折" in page
    assert f"/sandbox/wechat/article/{media_id}/0" in page and "/sandbox/wechat/media/" in page
    client.set_cookie("sandbox_wechat_user", str(stranger.id))
    assert "会员日八折" not in client.get(f"/sandbox/phone?m={shop.slug}").get_data(as_text=True)
    article = client.get(f"/sandbox/wechat/article/{media_id}/0").get_data(as_text=True)
    assert "<strong>八折</strong>" in article and "欢迎光临" in article
    body = article[article.index('id="article"'):]  # the merchant's HTML, after the page's own head
    assert "<script" not in body and "alert(1)" not in article and "onclick" not in article and "阅读原文" in article
    assert client.get(f"/sandbox/wechat/article/{media_id}/1").status_code == 404


def test_does_a_message_to_everybody_show_on_every_phone(shop, person, db):
    client_for(shop).message.send_mass_text(None, "全体会员日", is_to_all=True)
    other = sbx.create_wechat_user(db.session, shop.wechat_app_id, "小李")
    for openid in (person.user_key, other.user_key):
        texts = [item.payload["text"]["content"] for item in sbx.chat(db.session, shop.wechat_app_id, openid)]
        assert texts == ["全体会员日"]


# --- MASSSENDJOBFINISH --------------------------------------------------------------------------------------------

def test_does_the_report_push_each_sent_message_once(shop, person, live_server, db):
    client = client_for(shop)
    first = client.message.send_mass_text([person.user_key, "o" + "c" * 27], "一")
    client.message.send_mass_text(None, "二", is_to_all=True)
    client.message.send_mass_text(person.user_key, "预览", preview=True)
    answer = requests.post(f"{live_server}/sandbox/wechat/mass/report", data={"m": shop.slug}, timeout=10).json()
    assert answer["reported"] == 2 and [d["status"] for d in answer["deliveries"]] == [200, 200]
    assert answer["deliveries"][0]["msg_id"] == first["msg_id"]
    again = requests.post(f"{live_server}/sandbox/wechat/mass/report", data={"app_id": shop.wechat_app_id},
                          timeout=10).json()
    assert again["reported"] == 0
    db.session.expire_all()
    previews = db.session.scalars(select(SandboxMassMessage).where(SandboxMassMessage.preview.is_(True))).all()
    assert [p.reported_at for p in previews] == [None]


def test_does_the_finish_event_carry_wechats_fields():
    account = events.Account("wx0123456789abcdef", "tok")
    fields = xmltodict.parse(events.mass_finish_xml(account, 1000001, 10, 8, 8, 0, created=1700000000))["xml"]
    assert fields["Event"] == "MASSSENDJOBFINISH" and fields["MsgType"] == "event"
    assert fields["ToUserName"] == account.original_id == fields["FromUserName"]
    assert (fields["MsgID"], fields["Status"], fields["TotalCount"], fields["FilterCount"], fields["SentCount"],
            fields["ErrorCount"]) == ("1000001", "send success", "10", "8", "8", "0")


def test_does_a_send_push_its_result_by_itself_after_the_configured_delay(app, shop, person, db, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_WECHAT_MASS_REPORT_DELAY", 0.2)
    pushed, push = [], wechat_mass_report.push_results
    done = threading.Event()

    def recorded(app_id):
        try:
            pushed.extend(push(app_id))
        finally:
            done.set()

    monkeypatch.setattr(wechat_mass_report, "push_results", recorded)
    sent = client_for(shop).message.send_mass_text([person.user_key], "稍后推送")
    assert done.wait(10)
    assert pushed == [{"msg_id": sent["msg_id"], "status": 200}]
    db.session.expire_all()
    assert db.session.get(SandboxMassMessage, sent["msg_id"]).reported_at is not None


def test_does_the_phones_button_push_the_results_and_say_how_many(shop, person, db, client):
    client_for(shop).message.send_mass_text([person.user_key], "会员日")
    client.set_cookie("sandbox_wechat_user", str(person.id))
    pushed = client.post("/sandbox/wechat/mass/report", data={"m": shop.slug, "back": "phone"})
    assert pushed.status_code == 302 and "reported=1" in pushed.location
    page = client.get(pushed.location).get_data(as_text=True)
    assert "推送群发结果" in page and "已推送 1 条群发结果" in page and "会员日" in page
