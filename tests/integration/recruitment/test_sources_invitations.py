"""Invitation SMS (招募推广 · 短信) under the marketing SMS rules: the signature, the tracked link of the 'sms'
channel and 回T退订 within 70 characters, sensitive words and quiet hours refused, members, numbers that replied T
and numbers invited lately skipped and counted, and one batch per key however often (or concurrently) it is sent."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain import roles
from domain.errors import DomainError
from domain.outreach import sms_length
from models import AuditLog, RecruitSmsBatch, SandboxOutbox, Staff
from services.outreach import inbound, settings as messaging_settings
from services.recruitment import invitations, sources
from tests.integration.helpers import run_concurrently

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)
LINK = "http://127.0.0.1:5000/h5/m1/j/AbCdEfGhIjKlMnOp"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="测试咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    source = sources.for_share(db.session, merchant.id, "sms")
    db.session.commit()
    return {"merchant": merchant, "owner": owner, "source": source}


def invite(db, shop, numbers, key="k1", body=invitations.DEFAULT_BODY, now=NOON, link=LINK):
    return invitations.send(db.session, shop["owner"], key=key, source=shop["source"], link=link, body=body,
                            numbers_text=numbers, now=now)


def outbox(db):
    db.session.expire_all()
    return db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms")
                              .order_by(SandboxOutbox.id)).all()


def test_does_each_new_number_get_one_sms_with_signature_link_and_tail(db, shop):
    batch, replayed = invite(db, shop, "13900000001\n139 0000 0002, +86 13900000003\n13900000001")
    db.session.commit()
    assert not replayed and (batch.asked, batch.sent) == (3, 3)
    sent = outbox(db)
    assert [row.recipient for row in sent] == ["13900000001", "13900000002", "13900000003"]
    text = sent[0].payload["text"]
    assert text == f"【测试咖啡】{invitations.DEFAULT_BODY}{LINK} 回T退订" and sms_length(text) <= 70
    assert sent[0].payload["marketing"] is True and sent[0].payload["merchant_id"] == shop["merchant"].id
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "recruitment.sms_invite")).one()
    assert entry.after["sent"] == 3


def test_are_members_opted_out_and_recently_invited_numbers_skipped_and_counted(db, shop, make):
    make.member(shop["merchant"], mobile="13900000011")
    inbound.sms_reply(db.session, shop["merchant"].id, "13900000012", "T")  # not a member: the number itself
    invite(db, shop, "13900000013", key="earlier", now=NOON - timedelta(days=3))
    db.session.commit()
    batch, _ = invite(db, shop, "13900000011\n13900000012\n13900000013\n13900000014")
    db.session.commit()
    assert (batch.asked, batch.sent, batch.skipped_member, batch.skipped_opted_out, batch.skipped_recent) == \
        (4, 1, 1, 1, 1)
    assert [row.recipient for row in outbox(db)] == ["13900000013", "13900000014"]  # the earlier one, and now 14
    later, _ = invite(db, shop, "13900000013", key="a-month-later", now=NOON + timedelta(days=invitations.RECENT_DAYS))
    assert later.sent == 1


@pytest.mark.parametrize("local_time", ["21:00", "23:30", "02:00", "07:59"])
def test_is_an_invitation_in_quiet_hours_refused_with_a_clear_message(db, shop, local_time):
    hour, minute = map(int, local_time.split(":"))
    moment = datetime(2026, 12, 7, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)
    with pytest.raises(DomainError) as refused:
        invite(db, shop, "13900000021", now=moment)
    assert "21:00–08:00" in refused.value.message and "08:00 之后" in refused.value.message
    db.session.rollback()
    assert outbox(db) == [] and db.session.scalar(select(func.count(RecruitSmsBatch.id))) == 0


def test_is_an_sms_over_70_characters_refused_saying_how_much_body_fits(db, shop):
    with pytest.raises(DomainError) as refused:
        invite(db, shop, "13900000031", body="会员卡" * 10)
    assert "超过 70 字" in refused.value.message and "正文最多" in refused.value.message
    room = invitations.room_for_body(db.session, shop["merchant"].id, LINK)
    assert room == 70 - sms_length(f"【测试咖啡】{LINK} 回T退订")
    batch, _ = invite(db, shop, "13900000031", body="好" * room)
    assert batch.sent == 1 and sms_length(outbox(db)[0].payload["text"]) == 70


@pytest.mark.parametrize("body, said", [("今晚有赌博活动", "敏感词“赌博”"), ("", "请填写短信内容"),
                                        ("a\x00b", "控制字符"), ("新品 试 吃", None)])
def test_are_sensitive_words_empty_bodies_and_control_characters_refused(db, shop, body, said):
    if said is None:
        messaging_settings.save(db.session, shop["owner"], sms_signature="", own_words_text="试吃",
                                sms_fallback=True)
        said = "敏感词“试吃”"  # the merchant's own word, spaces between its characters do not hide it
    with pytest.raises(DomainError) as refused:
        invite(db, shop, "13900000041", body=body)
    assert said in refused.value.message
    db.session.rollback()
    assert outbox(db) == []


@pytest.mark.parametrize("numbers, said", [("1390000004", "1390000004"), ("12345678901\nabc", "12345678901、abc"),
                                           ("", "请填写要邀请的手机号"), (" \n , ", "请填写要邀请的手机号")])
def test_are_wrong_numbers_named_and_nothing_sent(db, shop, numbers, said):
    with pytest.raises(DomainError) as refused:
        invite(db, shop, numbers)
    assert said in refused.value.message
    db.session.rollback()
    assert outbox(db) == []


def test_are_more_than_200_numbers_refused(db, shop):
    numbers = "\n".join(f"139{n:08d}" for n in range(invitations.MAX_NUMBERS + 1))
    with pytest.raises(DomainError) as refused:
        invite(db, shop, numbers)
    assert "最多邀请 200 个" in refused.value.message
    assert invite(db, shop, numbers.rsplit("\n", 1)[0], key="two-hundred")[0].sent == 200


def test_does_a_second_submit_with_the_same_key_send_nothing(db, shop):
    first, _ = invite(db, shop, "13900000051\n13900000052")
    db.session.commit()
    again, replayed = invite(db, shop, "13900000051\n13900000052\n13900000053")
    assert replayed and again.id == first.id and len(outbox(db)) == 2


def test_does_a_double_submit_at_once_send_once(app, db, shop):
    ids = (shop["owner"].id, shop["source"].id)

    def submit(session, _index):
        owner = session.get(Staff, ids[0])
        source = sources.get(session, owner.merchant_id, ids[1])
        batch, replayed = invitations.send(session, owner, key="double-tap", source=source, link=LINK,
                                           body=invitations.DEFAULT_BODY, numbers_text="13900000061\n13900000062",
                                           now=NOON)
        return batch.id, replayed

    results, errors = run_concurrently(app, 4, submit)
    assert not errors and len({batch_id for batch_id, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False, True, True, True]
    assert [row.recipient for row in outbox(db)] == ["13900000061", "13900000062"]


def test_is_a_stale_or_forged_key_refused(db, shop):
    for key in ("", "x" * 101, "k\x00"):
        with pytest.raises(DomainError) as refused:
            invite(db, shop, "13900000071", key=key)
        assert "页面已过期" in refused.value.message
