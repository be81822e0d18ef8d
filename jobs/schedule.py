"""Periodic jobs, declared in code. Any number of schedulers may run: each period is claimed once in Redis.

Without Redis (one development machine, `make run`), `start_in_process` runs the frequent ones (a minute apart or
less) inline in a thread of the serving process instead; the hourly ones are left to their commands."""
import logging
import threading
import time

from jobs import dispatch
from jobs.alipay_vouchers import catch_up_alipay_vouchers_everywhere
from jobs.campaigns import evaluate_campaigns
from jobs.membership import expire_paid_memberships_everywhere
from jobs.payments import (forget_old_rejected_notifications, settle_overdue_orders, settle_processing_refunds,
                           settle_processing_till_refunds)
from jobs.points import expire_points_everywhere
from jobs.reports import rebuild_reports_everywhere
from jobs.sends import start_due_sends
from jobs.stored_value import pay_topup_instalments
from jobs.wechat import push_card_packages_everywhere, retry_wechat_card_syncs

log = logging.getLogger(__name__)

# (job, every N seconds)
PERIODIC = [
    (expire_points_everywhere, 3600),
    (settle_overdue_orders, 300),
    (settle_processing_refunds, 600),
    (settle_processing_till_refunds, 600),
    (pay_topup_instalments, 3600),
    (start_due_sends, 60),
    (evaluate_campaigns, 60),
    (expire_paid_memberships_everywhere, 600),
    (rebuild_reports_everywhere, 3600),
    (push_card_packages_everywhere, 2),
    (retry_wechat_card_syncs, 600),
    (catch_up_alipay_vouchers_everywhere, 600),
    (forget_old_rejected_notifications, 86400),
]


def due_now(redis, now=None):
    """The periodic jobs whose current period nobody has claimed yet; claims them."""
    now = int(now if now is not None else time.time())
    due = []
    for fn, every in PERIODIC:
        period = now // every
        if redis.set(f"scheduler:{fn.job_name}:{period}", "1", nx=True, ex=every * 2):
            due.append((fn, f"{fn.job_name}:{period}"))
    return due


def run_forever(redis, tick_seconds=1):
    """Inside the application (`flask run-scheduler`): dispatch each due period's job, forever."""
    log.info("scheduler started with %d periodic jobs", len(PERIODIC))
    while True:
        for fn, job_id in due_now(redis):
            dispatch.send(fn.job_name, (), job_id)
        time.sleep(tick_seconds)


IN_PROCESS_LONGEST_PERIOD = 60  # seconds: what runs in the serving process; the hourly rebuilds would hold SQLite


def start_in_process(app, tick_seconds=1, stop=None):
    """A daemon thread running the frequent periodic jobs inline, from their next period on, until `stop` (an
    Event) is set. None if not wanted."""
    if not app.config.get("IN_PROCESS_SCHEDULER") or app.config.get("REDIS_URL"):
        return None
    frequent = [(fn, every) for fn, every in PERIODIC if every <= IN_PROCESS_LONGEST_PERIOD]
    started = int(time.time())
    last = {fn.job_name: started // every for fn, every in frequent}

    stop = stop or threading.Event()

    def run():
        while not stop.wait(tick_seconds):
            now = int(time.time())
            for fn, every in frequent:
                if now // every != last[fn.job_name]:
                    last[fn.job_name] = now // every
                    dispatch.run_inline(app, fn.job_name, ())

    thread = threading.Thread(target=run, name="in-process-scheduler", daemon=True)
    thread.start()
    log.info("in-process scheduler started with %d periodic jobs", len(frequent))
    return thread
