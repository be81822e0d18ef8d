"""Alipay merchant voucher jobs: a code deposited into its member's Alipay card package, a whole template's codes
after a bulk issue, and Alipay following a code's use and its undo. Each is retried by RQ; Alipay's refusal is
committed on the deposit row before the job raises, and every call carries its own out_biz_no, so a retry never
doubles (services/alipay_vouchers/deposits.py)."""
import logging
from datetime import timedelta

from domain.clock import now_utc
from jobs.base import job
from services.alipay_vouchers import deposits
from services.alipay_vouchers.calls import AlipayRefused

log = logging.getLogger(__name__)


@job(queue="default", timeout=60)
def deposit_code(session, merchant_id, code_id):
    deposits.prepare(session, merchant_id, code_id)
    session.commit()  # the deposit row and its out_biz_no stand, whatever Alipay answers
    return _kept(session, merchant_id, code_id, deposits.deposit_code)


@job(queue="default", timeout=60)
def follow_code(session, merchant_id, code_id):
    return _kept(session, merchant_id, code_id, deposits.follow_code)


@job(queue="bulk", timeout=3600)
def deposit_template(session, merchant_id, template_id):
    """Every code of the template not yet deposited whose member has an Alipay identity, one commit per code; a code
    Alipay refused is left for the next run (its words on its row) and the job raises at the end to be retried."""
    after, failed = 0, 0
    while True:
        code_ids = deposits.codes_to_deposit(session, merchant_id, template_id, after_id=after)
        session.commit()
        if not code_ids:
            break
        for code_id in code_ids:
            try:
                deposit_code(session, merchant_id, code_id)
            except AlipayRefused:
                failed += 1
        after = code_ids[-1]
    if failed:
        raise AlipayRefused(f"{failed} 张券未能放入支付宝卡包，稍后重试")
    return "done"


CATCH_UP_MINUTES = 20  # codes given this recently are looked at again: a process that learnt of a new sync late


@job(queue="scheduled", timeout=600)
def catch_up_alipay_vouchers_everywhere(session):
    """Every 10 minutes: deposits and uses Alipay has not caught up with (retries ran out), and codes given in the
    last minutes of synced templates that no job deposited (given by a process that still remembered the template
    as not synced). What Alipay refuses again waits for the next run."""
    caught = 0
    for merchant_id, code_id in deposits.out_of_step(session):
        caught += _quietly(session, merchant_id, code_id)
    since = now_utc() - timedelta(minutes=CATCH_UP_MINUTES)
    for merchant_id, template_id in deposits.synced_everywhere(session):
        for code_id in deposits.codes_to_deposit(session, merchant_id, template_id, since=since):
            caught += _quietly(session, merchant_id, code_id)
    session.commit()
    return caught


def _quietly(session, merchant_id, code_id):
    try:
        deposit_code(session, merchant_id, code_id)
        return 1
    except AlipayRefused:
        return 0


def _kept(session, merchant_id, code_id, work):
    try:
        outcome = work(session, merchant_id, code_id)
        session.commit()
        return outcome
    except AlipayRefused as refused:
        session.rollback()
        deposits.keep_error(session, merchant_id, code_id, refused.message)
        session.commit()
        log.warning("alipay voucher for code %s of merchant %s: %s", code_id, merchant_id, refused.message)
        raise
