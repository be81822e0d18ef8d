"""A send's life: submitted (a large one waits for an owner or admin), scheduled, frozen and sent chunk by chunk
by a job, paused for SMS quiet hours, cancelled, done.

`run_chunk` does one step under a lock on the send row and the job commits after each: the first step freezes
the audience (plan.freeze), then each step is one WeChat call of at most 10,000 openids, one batch of Alipay life-account messages or one
batch of SMS. A
step's recipient statuses and the call it made commit together, and a WeChat call carries a clientmsgid derived
from its batch, so a worker killed anywhere and restarted sends each member the message once and leaves nobody
out. A cancel is seen at the start of the next step.
"""
from datetime import timedelta

from sqlalchemy import or_, select, update

from domain import roles
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from models import Merchant, Send, SendRecipient
from services.merchant import audit
from services.outreach import alipay_batch, plan, recipients, sms_batch, wechat_batch
from services.shared import job_queue
from services.shared.tenancy import get_owned

RUN_JOB = "jobs.sends.run_send"  # jobs/sends.py
CONFIRM_ABOVE = 10000
MAX_AHEAD = timedelta(days=30)  # how far ahead a send may be scheduled  # a send to more members needs an owner or admin to confirm it
STALE_AFTER = timedelta(minutes=3)  # a running send idle this long lost its worker: the tick starts it again
CONFIRMERS = (roles.OWNER, roles.ADMIN)
CANCELLABLE = ("draft", "awaiting_confirm", "scheduled", "running", "waiting")


def submit(session, actor, send_id, *, scheduled_at=None, confirm_large=False, now=None):
    """Submit a draft: checked against its plan; above 10,000 members an owner or admin confirms (at once, when
    it is one of them and ticked the box), else it waits for one."""
    now = now or now_utc()
    send = get_owned(session, Send, actor.merchant_id, send_id, lock=True)
    if send.status != "draft":
        raise Conflict("该群发已提交")
    if scheduled_at is not None and scheduled_at < now - timedelta(minutes=1):
        raise DomainError("定时发送的时间已过")
    if scheduled_at is not None and scheduled_at > now + MAX_AHEAD:
        raise DomainError("定时发送最多提前 30 天")
    send.scheduled_at = scheduled_at or now
    planned = plan.tally(session, send, now)
    if planned.total == 0:
        raise DomainError("人群中没有会员，无法发送")
    if planned.reached == 0:
        raise DomainError("人群中没有会员能收到这条消息（见预览中的跳过原因）")
    send.total = planned.total
    if planned.total > CONFIRM_ABOVE:
        if actor.role not in CONFIRMERS:
            send.status = "awaiting_confirm"
            _audit(session, actor, send, "send.submit")
            return send
        if not confirm_large:
            raise DomainError(f"发送对象 {planned.total} 人，超过 1 万人，请勾选确认后再发送")
        return _confirmed(session, actor, send, now, "send.submit")
    _schedule(session, send, now)
    _audit(session, actor, send, "send.submit")
    return send


def confirm(session, actor, send_id, now=None):
    """An owner or admin lets a large send go."""
    now = now or now_utc()
    if actor.role not in CONFIRMERS:
        raise PermissionDenied("只有店主或管理员可以确认超过 1 万人的群发")
    send = get_owned(session, Send, actor.merchant_id, send_id, lock=True)
    if send.status != "awaiting_confirm":
        raise Conflict("该群发不在待确认状态")
    return _confirmed(session, actor, send, now, "send.confirm")


def _confirmed(session, actor, send, now, action):
    send.confirmed_by_id, send.confirmed_at = actor.id, now
    _schedule(session, send, now)
    _audit(session, actor, send, action)
    return send


def cancel(session, actor, send_id, now=None):
    """Stop a send: at once when it is not running, else at the start of its next chunk."""
    now = now or now_utc()
    send = get_owned(session, Send, actor.merchant_id, send_id, lock=True)
    if send.status not in CANCELLABLE:
        raise Conflict("该群发已结束，无法取消")
    send.cancel_requested_at = now
    if send.status != "running":
        _close_cancelled(session, send, now)
    _audit(session, actor, send, "send.cancel")
    return send


def _schedule(session, send, now):
    send.status = "scheduled"
    if send.scheduled_at <= now:
        _start_job(session, send.id)


def schedule_now(session, send, now):
    """A send made by a campaign run (already decided by the campaign's owner or admin): it goes at once."""
    send.scheduled_at = send.scheduled_at or now
    _schedule(session, send, now)


def _start_job(session, send_id):
    job_queue.enqueue(session, RUN_JOB, send_id)


def run_chunk(session, send_id, now=None):
    """One step of a due send. True while there is more to do now (the caller commits between calls)."""
    now = now or now_utc()
    send = session.scalars(select(Send).where(Send.id == send_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()
    if send is None or send.status not in ("scheduled", "running", "waiting") or not _due(send, now):
        return False
    if send.cancel_requested_at is not None:
        _close_cancelled(session, send, now)
        return False
    merchant = session.get(Merchant, send.merchant_id)
    send.status, send.worked_at, send.error = "running", now, None
    if not send.frozen:
        send.total = plan.freeze(session, send, now)
        send.frozen, send.started_at = True, now
        send.handled = recipients.handled(session, send)
        return True
    batch = wechat_batch.next_batch(session, send)
    if batch:
        send.handled += wechat_batch.send_batch(session, merchant, send, batch, now)
        return True
    batch = alipay_batch.next_batch(session, send)
    if batch:
        handled, unreachable = alipay_batch.send_batch(session, merchant, send, batch, now)
        send.handled += handled
        if unreachable:  # Alipay did not answer: the tick tries the rest again in a minute
            send.status, send.resume_at = "waiting", alipay_batch.retry_at(now)
            return False
        return True
    batch = sms_batch.next_batch(session, send)
    if batch:
        start = sms_batch.start_time(merchant, now)
        if start > now:  # quiet hours: the SMS wait for 08:00, the tick wakes the send then
            send.status, send.resume_at = "waiting", start
            return False
        send.handled += sms_batch.send_batch(session, merchant, send, batch, now)
        return True
    sms_batch.collect_receipts(session, send, now)
    unsettled_until = alipay_batch.settle_claims(session, send, now)
    if unsettled_until is not None:  # a life-account batch claimed by a run that may still be calling
        send.status, send.resume_at = "waiting", unsettled_until
        return False
    send.status, send.finished_at, send.handled = "done", now, send.total
    return False


def _due(send, now):
    if send.status == "scheduled":
        return send.scheduled_at is None or send.scheduled_at <= now
    if send.status == "waiting":
        return send.resume_at is None or send.resume_at <= now
    return True


def _close_cancelled(session, send, now):
    if send.frozen:
        session.execute(update(SendRecipient).where(*recipients.of_send(send), SendRecipient.status == "queued")
                        .values(status="skipped", reason="cancelled").execution_options(synchronize_session=False))
        send.handled = send.total
    send.status, send.finished_at = "cancelled", now


def note_failure(session, send_id, error):
    """Record why a step failed; the send stays running and is tried again (RQ's retries, then the tick)."""
    send = session.get(Send, send_id)
    if send is not None and send.status == "running":
        send.error = str(error)[:500]


def due(session, now=None):
    """Sends the tick should start or resume: scheduled and due, waiting past quiet hours, or running but idle
    since their worker died."""
    now = now or now_utc()
    return session.scalars(select(Send.id).where(or_(
        (Send.status == "scheduled") & (Send.scheduled_at <= now),
        (Send.status == "waiting") & (Send.resume_at <= now),
        (Send.status == "running") & ((Send.worked_at.is_(None)) | (Send.worked_at < now - STALE_AFTER)),
    )).order_by(Send.id)).all()


def progress(send):
    """Percent of the frozen audience handled (sent, skipped or failed)."""
    if send.status in ("done", "cancelled"):
        return 100
    if not send.frozen or not send.total:
        return 0
    return min(100, send.handled * 100 // send.total)


def _audit(session, actor, send, action):
    audit.record(session, actor, action, "send", send.id,
                 after={"status": send.status, "total": send.total, "channel": send.channel})
