"""A worker killed mid-send (after WeChat took a batch, before the app committed it) and a new worker started:
every member of the frozen audience gets the message exactly once and nobody is left out."""
import multiprocessing
import os

from sqlalchemy import func, select

from extensions import db as database
from jobs import sends as send_jobs
from models import SandboxMassMessage, SandboxMassRecipient, Send
from services.outreach import run, wechat_batch
from tests.integration.outreach.support import draft, openid_for, recipients_of, shop_with_members

FOLLOWERS = 7


def _die_after_second_call(app, send_id):
    """The child: a worker that runs the send and is killed (os._exit, no cleanup) right after WeChat answered
    its second call, before that chunk's commit."""
    with app.app_context():
        for engine in database.engines.values():
            engine.dispose(close=False)  # the parent's pooled connections are not ours to use
        wechat_batch.BATCH = 2
        real_call, calls = wechat_batch._call, []

        def call_then_maybe_die(*args, **kwargs):
            answer = real_call(*args, **kwargs)
            calls.append(answer)
            if len(calls) == 2:
                os._exit(9)
            return answer

        wechat_batch._call = call_then_maybe_die
        send_jobs.run_send(database.session, send_id)
        os._exit(0)


def test_does_a_killed_worker_leave_every_member_sent_exactly_once(app, db, make, monkeypatch):
    shop, owner, fans, plain = shop_with_members(db, make, followers=FOLLOWERS, phones_only=1)
    send = draft(db, owner)
    run.submit(db.session, owner, send.id)
    db.session.commit()
    worker = multiprocessing.get_context("fork").Process(target=_die_after_second_call, args=(app, send.id))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == 9
    db.session.expire_all()
    assert db.session.get(Send, send.id).status == "running"
    assert db.session.scalar(select(func.count()).select_from(SandboxMassMessage)) == 2  # WeChat took two calls
    assert sum(row.status == "sent" for row in recipients_of(db, send).values()) == 2  # the app committed one

    monkeypatch.setattr(wechat_batch, "BATCH", 2)
    send_jobs.run_send(db.session, send.id)  # the restarted worker
    db.session.expire_all()
    assert db.session.get(Send, send.id).status == "done"
    received = db.session.scalars(select(SandboxMassRecipient.openid).where(
        SandboxMassRecipient.delivered.is_(True))).all()
    assert sorted(received) == sorted(openid_for(shop.id * 1000 + n) for n in range(FOLLOWERS))
    rows = recipients_of(db, send)
    assert sorted(row.status for row in rows.values()) == ["sent"] * FOLLOWERS + ["skipped"]
    assert db.session.scalar(select(func.count()).select_from(SandboxMassMessage)) == 4  # 7 openids, 2 a call
