"""Self-pay jobs: refund a paid self-pay order whose checkout could not be recorded (services/till/self_pay_orders.py)."""
from jobs.base import job
from services.till import self_pay_orders


@job(queue="default")
def refund_unrecorded_order(session, order_id):
    """Queued by the payment notification that found the price changed; the refund's key makes a retry safe."""
    refund = self_pay_orders.refund_unrecorded(session, order_id)
    return refund.id if refund is not None else None
