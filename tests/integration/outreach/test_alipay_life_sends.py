"""Sends through the merchant's Alipay life account (生活号): the channel chooser picks WeChat for followers, the life
account for members who use Alipay only, SMS for the rest; each recipient is messaged once however often and
however concurrently the send runs; another merchant's members are never messaged."""
from sqlalchemy import select

from models import SendRecipient
from models.sandbox_alipay_life import SandboxLifeMessage
from sandbox.alipay_life import set_following
from services.alipay_life import settings as life_settings
from services.members import members
from services.outreach import plan, report, run
from tests.integration.helpers import run_concurrently
from tests.integration.outreach.support import LATE_MORNING, draft, recipients_of, shop_with_members


def alipay_only(db, make, shop, n, follow=True):
    """A member with an Alipay identity and no WeChat follow; following the life account unless told not to."""
    person = make.member(shop)
    user_id = f"2088{shop.id:04d}{n:08d}"
    members.bind_identity(db.session, person, "alipay_user_id", user_id, shop.alipay_app_id)
    if follow:
        set_following(db.session, shop.alipay_app_id, user_id, True)
    db.session.commit()
    return person, user_id


def life_account_on(db, shop):
    life_settings.settings_for(db.session, shop.id).enabled = True
    db.session.commit()


def life_messages(db, shop):
    db.session.expire_all()
    return db.session.scalars(select(SandboxLifeMessage).where(SandboxLifeMessage.app_id == shop.alipay_app_id)
                              .order_by(SandboxLifeMessage.id)).all()


def run_to_end(db, send_id):
    while run.run_chunk(db.session, send_id, now=LATE_MORNING):
        db.session.commit()
    db.session.commit()


def test_does_the_chooser_pick_wechat_then_the_life_account_then_sms(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=1)
    life_account_on(db, shop)
    person, user_id = alipay_only(db, make, shop, 1)
    send = draft(db, owner, channel="best", sms_fallback="1", sms_body="周末全场八折")
    planned = plan.preview(db.session, send, LATE_MORNING)
    assert planned.by_channel == {"wechat": 1, "alipay": 1, "sms": 1}
    assert plan.CHANNEL_LABELS["alipay"] == "支付宝生活号"
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send.id)
    rows = recipients_of(db, send)
    assert rows[fans[0].id].channel == "wechat" and rows[plain[0].id].channel == "sms"
    assert (rows[person.id].channel, rows[person.id].address, rows[person.id].status) == ("alipay", user_id, "sent")
    [message] = life_messages(db, shop)
    assert message.to_user_id == user_id and message.payload["text"]["content"] == "新品上市，欢迎到店"
    assert report.of(db.session, shop.id, send.id).sent.get("alipay") == 1


def test_is_the_life_account_unused_when_it_is_off_or_the_send_is_wechat_only(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=1, phones_only=0)
    person, _user = alipay_only(db, make, shop, 2)
    best = draft(db, owner, channel="best", sms_fallback="1", sms_body="周末全场八折")
    assert "alipay" not in plan.preview(db.session, best, LATE_MORNING).by_channel  # the life account is off
    life_account_on(db, shop)
    wechat_only = draft(db, owner, title="仅微信")
    assert plan.preview(db.session, wechat_only, LATE_MORNING).by_channel == {"wechat": 1}


def test_is_a_member_who_does_not_follow_the_life_account_recorded_as_failed(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    life_account_on(db, shop)
    person, _user = alipay_only(db, make, shop, 3, follow=False)
    send = draft(db, owner, channel="best")
    assert not send.sms_fallback
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send.id)
    row = recipients_of(db, send)[person.id]
    assert (row.channel, row.status, row.reason) == ("alipay", "failed", "alipay_nofollow")
    assert life_messages(db, shop) == []


def test_does_a_member_who_does_not_follow_get_the_sms_the_send_falls_back_to(db, make):
    from models import SandboxOutbox

    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    life_account_on(db, shop)
    person, _user = alipay_only(db, make, shop, 4, follow=False)
    follower, _ = alipay_only(db, make, shop, 5)
    send = draft(db, owner, channel="best", sms_fallback="y", sms_body="新品上市，欢迎到店")
    assert send.sms_fallback
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send.id)
    rows = recipients_of(db, send)
    assert (rows[person.id].channel, rows[person.id].address, rows[person.id].status) == ("sms", person.mobile,
                                                                                          "delivered")
    assert (rows[follower.id].channel, rows[follower.id].status) == ("alipay", "sent")
    assert len(life_messages(db, shop)) == 1
    texts = db.session.scalars(select(SandboxOutbox).where(SandboxOutbox.kind == "sms")).all()
    assert len(texts) == 1


def test_does_a_send_run_twice_and_concurrently_message_each_member_once(app, db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    life_account_on(db, shop)
    people = [alipay_only(db, make, shop, 10 + n)[0] for n in range(5)]
    send = draft(db, owner, channel="best")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    send_id = send.id

    def run_send(session, _n):
        while run.run_chunk(session, send_id, now=LATE_MORNING):
            session.commit()
        session.commit()

    results, errors = run_concurrently(app, 3, run_send)
    assert errors == []
    run_to_end(db, send_id)  # and once more after it finished
    assert sorted(message.to_user_id for message in life_messages(db, shop)) == \
        sorted(f"2088{shop.id:04d}{10 + n:08d}" for n in range(5))
    rows = recipients_of(db, send)
    assert {rows[p.id].status for p in people} == {"sent"}


def test_are_another_merchants_alipay_members_never_messaged(db, make):
    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    other, _owner2, _fans2, _plain2 = shop_with_members(db, make, followers=0, phones_only=0, name="隔壁店")
    life_account_on(db, shop)
    life_account_on(db, other)
    mine, _ = alipay_only(db, make, shop, 20)
    theirs, their_user = alipay_only(db, make, other, 21)
    send = draft(db, owner, channel="best")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    run_to_end(db, send.id)
    assert set(recipients_of(db, send)) == {mine.id}
    assert life_messages(db, other) == []
    assert db.session.scalars(select(SendRecipient).where(SendRecipient.member_id == theirs.id)).all() == []


def test_does_a_send_wait_a_minute_when_alipay_is_unreachable_and_then_finish(app, db, make):
    from datetime import timedelta

    from models import Send

    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    life_account_on(db, shop)
    people = [alipay_only(db, make, shop, 30 + n)[0] for n in range(2)]
    send = draft(db, owner, channel="best")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    gateway = app.config["ALIPAY_GATEWAY"]
    app.config["ALIPAY_GATEWAY"] = "http://127.0.0.1:9/gateway.do"
    try:
        run_to_end(db, send.id)
    finally:
        app.config["ALIPAY_GATEWAY"] = gateway
    db.session.expire_all()
    waiting = db.session.get(Send, send.id)
    assert waiting.status == "waiting" and waiting.resume_at == LATE_MORNING + timedelta(minutes=1)
    assert "支付宝未能应答" in waiting.error and life_messages(db, shop) == []
    assert {row.status for row in recipients_of(db, send).values()} == {"queued"}
    later = LATE_MORNING + timedelta(minutes=2)
    assert send.id in run.due(db.session, later)
    while run.run_chunk(db.session, send.id, now=later):
        db.session.commit()
    db.session.commit()
    assert len(life_messages(db, shop)) == 2
    assert {recipients_of(db, send)[p.id].status for p in people} == {"sent"}


def test_does_a_run_killed_during_its_calls_never_message_anyone_twice(db, make, monkeypatch):
    """Alipay's custom.send takes no id of ours: a batch is claimed before its first call, so the members a killed
    run may have messaged are never messaged again; they end as failed (unknown) and the rest go once."""
    from datetime import timedelta

    from channels import alipay_life
    from models import Send

    shop, owner, fans, plain = shop_with_members(db, make, followers=0, phones_only=0)
    life_account_on(db, shop)
    people = [alipay_only(db, make, shop, 50 + n)[0] for n in range(3)]
    send = draft(db, owner, channel="best")
    run.submit(db.session, owner, send.id, now=LATE_MORNING)
    db.session.commit()
    real_send, calls = alipay_life.send_text, []

    def killed_after_the_first(merchant, user_id, text):
        calls.append(user_id)
        if len(calls) == 2:
            raise SystemExit("worker killed")  # not an error the batch handles: the process is gone
        return real_send(merchant, user_id, text)

    monkeypatch.setattr(alipay_life, "send_text", killed_after_the_first)
    try:
        run_to_end(db, send.id)
    except SystemExit:
        db.session.rollback()
    monkeypatch.setattr(alipay_life, "send_text", real_send)
    assert len(life_messages(db, shop)) == 1
    assert {row.status for row in recipients_of(db, send).values()} == {"sending"}  # claimed, outcome unknown
    run_to_end(db, send.id)  # another run: nothing of the killed batch goes again; it waits for the claim to age
    assert len(life_messages(db, shop)) == 1
    db.session.expire_all()
    waiting = db.session.get(Send, send.id)
    assert waiting.status == "waiting" and waiting.resume_at == LATE_MORNING + timedelta(minutes=10)
    later = LATE_MORNING + timedelta(minutes=11)
    assert send.id in run.due(db.session, later)
    while run.run_chunk(db.session, send.id, now=later):
        db.session.commit()
    db.session.commit()
    assert {recipients_of(db, send)[p.id].status for p in people} == {"failed"}
    assert {recipients_of(db, send)[p.id].reason for p in people} == {"unknown"}
    assert len(life_messages(db, shop)) == 1
