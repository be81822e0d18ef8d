"""WeChat's allowance of 4 mass messages per follower per natural month, counted per member in the merchant's
timezone. A slot is taken by one conditional upsert per batch: the row is locked by the upsert and the
`used < 4` test is evaluated on its latest version, so two sends racing for a member at 3 of 4 never give 5."""
from sqlalchemy import literal, select

from domain.outreach import WECHAT_MASS_PER_MONTH
from models import MassQuota, SendRecipient
from services.outreach.recipients import among
from services.shared import allowances


def take(session, merchant_id, month, recipient_ids):
    """Take one slot this month for the member of each recipient row; the set of member ids that got one."""
    if not recipient_ids:
        return set()
    members = select(SendRecipient.merchant_id, SendRecipient.member_id, literal(month), literal(1)).where(
        among(session, SendRecipient.id, recipient_ids), SendRecipient.merchant_id == merchant_id)
    return allowances.take(session, MassQuota, members, WECHAT_MASS_PER_MONTH)


def used(session, merchant_id, member_id, month):
    return session.scalar(select(MassQuota.used).where(MassQuota.merchant_id == merchant_id,
                                                       MassQuota.member_id == member_id,
                                                       MassQuota.month == month)) or 0
