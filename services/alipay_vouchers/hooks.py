"""What issuing, verifying and undoing a coupon code ask of Alipay, as jobs sent after their commit (never a call
to Alipay inside their transaction): only for templates synced to Alipay, which this process remembers per merchant
for a few seconds, so a merchant without Alipay vouchers pays nothing at the till.

This module imports only models and services/shared: the coupon services that call it stay below it."""
from sqlalchemy import select

from models import AlipayVoucherActivity
from services.shared import job_queue, merchant_memory

DEPOSIT_CODE = "jobs.alipay_vouchers.deposit_code"
DEPOSIT_TEMPLATE = "jobs.alipay_vouchers.deposit_template"
FOLLOW_CODE = "jobs.alipay_vouchers.follow_code"
MEMORY_KIND = "alipay_voucher_templates"
merchant_memory.watch(AlipayVoucherActivity, MEMORY_KIND)


def synced_templates(session, merchant_id):
    """Ids of the merchant's templates whose activity Alipay holds."""
    def load():
        return frozenset(session.scalars(select(AlipayVoucherActivity.template_id).where(
            AlipayVoucherActivity.merchant_id == merchant_id, AlipayVoucherActivity.state == "active")))
    return merchant_memory.recall(MEMORY_KIND, merchant_id, load)


def code_issued(session, merchant_id, template_id, code_id):
    """A code given to a member (a claim): deposit it into their Alipay card package if they have one."""
    if template_id in synced_templates(session, merchant_id):
        job_queue.enqueue(session, DEPOSIT_CODE, merchant_id, code_id)


def codes_issued(session, merchant_id, template_id):
    """A chunk of codes given at once (bulk, campaigns): one job deposits every code of the template not yet
    deposited."""
    if template_id in synced_templates(session, merchant_id):
        job_queue.enqueue(session, DEPOSIT_TEMPLATE, merchant_id, template_id,
                          job_id=f"alipay-vouchers-{merchant_id}-{template_id}")


def code_changed(session, merchant_id, code_id, template_id=None):
    """A code used at our till or its use undone: Alipay follows (use / refund). `template_id` None: not known
    here; the job finds out whether the code was deposited."""
    synced = synced_templates(session, merchant_id)
    if synced and (template_id is None or template_id in synced):
        job_queue.enqueue(session, FOLLOW_CODE, merchant_id, code_id)
