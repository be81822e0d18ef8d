"""招募推广 · 短信邀请 in the back office: the page shows the tracked link and the SMS as it will read; sending
invites the numbers that are neither members nor opted out, once per form however often it is submitted; quiet
hours and an over-long text are refused on the page with the reason."""
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import RecruitSource, SandboxOutbox
from services.recruitment import invitations
from tests.web.helpers import count, text_of

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)
NIGHT = datetime(2026, 12, 7, 22, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)


@pytest.fixture()
def at(monkeypatch):
    def set_clock(moment):
        monkeypatch.setattr(invitations, "now_utc", lambda: moment)
    set_clock(NOON)
    return set_clock


def key_of(body):
    return re.search(r'name="key"[^>]*value="([^"]+)"', body).group(1)


def sms_sent():
    return count(SandboxOutbox, SandboxOutbox.kind == "sms")


def test_does_the_page_show_the_sms_channels_link_and_the_sms_as_it_will_read(as_owner, db, store, at):
    page = text_of(as_owner.get(f"/backoffice/recruitment/sms?owner=store:{store.id}"))
    source = db.session.scalars(select(RecruitSource)).one()
    assert (source.kind, source.store_id, source.share_channel) == ("store", store.id, "sms")
    assert f"/j/{source.token}" in page and "【测试咖啡】" in page and "回T退订" in page
    assert invitations.DEFAULT_BODY in page and 'name="mobiles"' in page and 'id="quiet-hours"' not in page


def test_does_sending_invite_new_numbers_once_and_say_what_was_skipped(as_owner, make, db, merchant, at):
    make.member(merchant, mobile="13900000002")
    db.session.commit()
    key = key_of(text_of(as_owner.get("/backoffice/recruitment/sms")))
    form = {"key": key, "body": "送您一张会员卡，点击领取", "mobiles": "13900000001\n13900000002\n13900000003"}
    sent = as_owner.post("/backoffice/recruitment/sms", data=form)
    assert sent.status_code == 302 and "/backoffice/recruitment/sms" in sent.location, re.findall(r'bo-flash[^>]*>([^<]*)', text_of(sent))
    shown = text_of(as_owner.get(sent.location))
    assert "已发送 2 条邀请短信" in shown and "已是会员 1 个" in shown and 'id="sms-batches"' in shown
    assert sms_sent() == 2
    again = as_owner.post("/backoffice/recruitment/sms", data=form, follow_redirects=True)
    assert "已经发送过" in text_of(again) and sms_sent() == 2


def test_is_an_invitation_at_night_refused_on_the_page(as_owner, at):
    at(NIGHT)
    page = as_owner.get("/backoffice/recruitment/sms")
    assert 'id="quiet-hours"' in text_of(page)
    key = key_of(text_of(page))
    refused = as_owner.post("/backoffice/recruitment/sms", data={"key": key, "body": "送您会员卡",
                                                                 "mobiles": "13900000001"})
    assert refused.status_code == 400 and "免打扰时段" in text_of(refused) and sms_sent() == 0


def test_is_an_over_long_sms_refused_with_the_room_left(as_owner, at):
    key = key_of(text_of(as_owner.get("/backoffice/recruitment/sms")))
    refused = as_owner.post("/backoffice/recruitment/sms", data={"key": key, "body": "会员" * 30,
                                                                 "mobiles": "13900000001"})
    assert refused.status_code == 400 and "超过 70 字" in text_of(refused) and sms_sent() == 0


def test_is_a_form_without_numbers_or_key_refused(as_owner, at):
    assert as_owner.post("/backoffice/recruitment/sms", data={"key": "k", "body": "hi"}).status_code == 400
    assert as_owner.post("/backoffice/recruitment/sms", data={"body": "hi", "mobiles": "13900000001"}
                         ).status_code == 400
    assert sms_sent() == 0


def test_does_the_sms_carry_the_short_link_that_leads_to_the_tracked_join_link(as_owner, db, merchant, at):
    page = text_of(as_owner.get("/backoffice/recruitment/sms"))
    source = db.session.scalars(select(RecruitSource)).one()
    base = as_owner.application.config["PUBLIC_BASE_URL"].rstrip("/")
    assert f"{base}/j/{source.token} 回T退订" in page
    as_owner.post("/backoffice/recruitment/sms", data={"key": key_of(page), "body": "送您会员卡",
                                                       "mobiles": "13900000001"})
    sent = db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms")).one()
    assert sent.payload["text"] == f"【测试咖啡】送您会员卡{base}/j/{source.token} 回T退订"
    opened = as_owner.application.test_client().get(f"/j/{source.token}")
    assert opened.status_code == 302 and opened.location.endswith(f"/h5/{merchant.slug}/j/{source.token}")


def test_is_a_short_link_of_nothing_a_404(client, db):
    for token in ("unknownToken0000", "a" * 40, "%00", "中文"):
        assert client.get(f"/j/{token}").status_code in (400, 404)
