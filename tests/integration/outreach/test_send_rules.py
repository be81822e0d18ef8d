"""The seed's rules on a send: 4 mass messages a month per member (two sends racing at 3 of 4 never give 5),
opted-out members never get marketing SMS, SMS waits out quiet hours in Asia/Shanghai across midnight UTC, and a
message a member already got from another send today is not sent again."""
from datetime import datetime, timezone

from sqlalchemy import select

from models import MassQuota, Send, SendRecipient
from services.outreach import inbound, plan, quota, run
from tests.integration.helpers import run_concurrently
from tests.integration.outreach.support import (LATE_MORNING, delivered_openids, draft, member, openid_for,
                                                recipients_of,
                                                shop_with_members)
from tests.integration.outreach.test_send_flow import run_to_end

DECEMBER = "2026-12"


def test_is_a_member_at_four_this_month_skipped_with_the_reason(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    db.session.add(MassQuota(merchant_id=shop.id, member_id=fans[0].id, month=DECEMBER, used=4))
    db.session.add(MassQuota(merchant_id=shop.id, member_id=fans[1].id, month="2026-11", used=4))  # last month
    db.session.commit()
    send = draft(db, owner)
    planned = plan.preview(db.session, send, LATE_MORNING)
    assert planned.by_channel == {"wechat": 2} and planned.skipped == {"quota": 1, "no_wechat": 2}
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send)
    rows = recipients_of(db, send)
    assert (rows[fans[0].id].status, rows[fans[0].id].reason) == ("skipped", "quota")
    assert rows[fans[1].id].status == "sent"
    assert quota.used(db.session, shop.id, fans[0].id, DECEMBER) == 4


def test_do_two_sends_racing_for_a_member_at_three_of_four_never_give_five(app, db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=0)
    db.session.add(MassQuota(merchant_id=shop.id, member_id=fans[0].id, month=DECEMBER, used=3))
    sends = [draft(db, owner, title=f"活动{n}") for n in range(2)]
    for send in sends:
        send.frozen, send.status = True, "running"
        db.session.add(SendRecipient(merchant_id=shop.id, send_id=send.id, member_id=fans[0].id, channel="wechat",
                                     address=openid_for(1), status="queued"))
    db.session.commit()
    ids = [db.session.scalar(select(SendRecipient.id).where(SendRecipient.send_id == send.id)) for send in sends]
    results, errors = run_concurrently(app, 2, lambda session, n: quota.take(session, shop.id, DECEMBER, [ids[n]]))
    assert errors == [] and sorted(len(granted) for granted in results) == [0, 1]
    db.session.expire_all()
    assert quota.used(db.session, shop.id, fans[0].id, DECEMBER) == 4


def test_do_sends_racing_to_the_end_give_each_member_at_most_four(app, db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=2, phones_only=0)
    for person in fans:
        db.session.add(MassQuota(merchant_id=shop.id, member_id=person.id, month=DECEMBER, used=2))
    sends = [draft(db, owner, title=f"并发{n}") for n in range(4)]
    for send in sends:
        run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    send_ids = [send.id for send in sends]  # the threads must not touch this session's objects

    def send_all(session, n):
        while run.run_chunk(session, send_ids[n], now=LATE_MORNING):
            session.commit()

    results, errors = run_concurrently(app, 4, send_all)
    assert errors == []
    db.session.expire_all()
    assert sorted(db.session.scalars(select(MassQuota.used))) == [4, 4]
    sent = db.session.scalars(select(SendRecipient.member_id).where(SendRecipient.status == "sent")).all()
    assert sorted(sent) == sorted([fans[0].id] * 2 + [fans[1].id] * 2)
    assert len(delivered_openids(db, shop)) == 4


def test_does_a_member_who_replied_t_never_get_marketing_sms(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=3)
    assert inbound.sms_reply(db.session, shop.id, plain[0].mobile, " t ") == 1
    assert inbound.sms_reply(db.session, shop.id, plain[1].mobile, "好的") == 0
    db.session.commit()
    send = draft(db, owner, channel="sms", sms_body="周末全场八折")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    inbound.opt_out(db.session, shop.id, plain[2].mobile)  # after the plan froze: still never sent
    db.session.commit()
    run_to_end(db, send)
    rows = recipients_of(db, send)
    assert (rows[plain[0].id].status, rows[plain[0].id].reason) == ("skipped", "opted_out")
    assert rows[plain[1].id].status in ("delivered", "failed") and rows[plain[1].id].reason in (None, "not_delivered")
    assert (rows[plain[2].id].status, rows[plain[2].id].reason) == ("skipped", "opted_out")
    assert member(db, plain[0].id).sms_opt_out_at is not None


def test_does_sms_planned_in_quiet_hours_wait_for_eight_in_shanghai(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=1)
    late = datetime(2026, 12, 7, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai, 15:30 UTC
    after_midnight_utc = datetime(2026, 12, 8, 0, 5, tzinfo=timezone.utc)  # 08:05 in Shanghai
    send = draft(db, owner, channel="best", sms_fallback="1", sms_body="明日上新")
    run.submit(db.session, owner, send.id, now=late)
    db.session.commit()
    waiting = run_to_end(db, send, now=late)
    assert waiting.status == "waiting"
    assert waiting.resume_at == datetime(2026, 12, 8, 0, 0, tzinfo=timezone.utc)  # 08:00 Shanghai
    rows = recipients_of(db, send)
    assert rows[fans[0].id].status == "sent" and rows[plain[0].id].status == "queued"  # WeChat went at once
    assert run.due(db.session, now=datetime(2026, 12, 7, 23, 59, tzinfo=timezone.utc)) == []
    assert run.due(db.session, now=after_midnight_utc) == [send.id]
    done = run_to_end(db, send, now=after_midnight_utc)
    assert done.status == "done" and recipients_of(db, send)[plain[0].id].status in ("delivered", "failed")


def test_can_a_send_skip_sms_in_quiet_hours_instead_of_waiting(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=2)
    late = datetime(2026, 12, 7, 13, 30, tzinfo=timezone.utc)  # 21:30 in Shanghai
    send = draft(db, owner, channel="sms", sms_body="今晚特惠", quiet_skip="1")
    assert plan.preview(db.session, send, late).skipped == {"quiet_hours": 2}


def test_is_the_same_message_sent_twice_in_a_day_skipped_as_duplicate(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=2, phones_only=0)
    first = draft(db, owner)
    run.submit(db.session, owner, first.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, first)
    again, other = draft(db, owner, title="又一次"), draft(db, owner, title="别的", text="另一条消息")
    assert plan.preview(db.session, again, LATE_MORNING).skipped == {"duplicate": 2}
    assert plan.preview(db.session, other, LATE_MORNING).by_channel == {"wechat": 2}


def test_does_cancel_stop_a_running_send_at_its_next_chunk(db, make):
    shop, owner, fans, plain = shop_with_members(db, make)
    send = draft(db, owner)
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    assert run.run_chunk(db.session, send.id, now=LATE_MORNING)  # froze the audience
    db.session.commit()
    run.cancel(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    assert run.run_chunk(db.session, send.id, now=LATE_MORNING) is False
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Send, send.id).status == "cancelled"
    assert {row.reason for row in recipients_of(db, send).values()} == {"cancelled", "no_wechat"}
    assert delivered_openids(db, shop) == []
