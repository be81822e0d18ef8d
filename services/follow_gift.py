"""The follow gift: points for following the official account, once per follower, ever.

A follower who is not a member yet gets it when they claim the card; one who already is, at once.
Unfollowing and following again gives nothing more: the key is the fan row, not the event.
"""
from models import PointsTransaction
from services import idempotency, points
from services.wechat_settings import settings_for


def grant_if_member(session, merchant, fan):
    """Grant the gift if it is configured, the fan is a member and has not had it. Returns the transaction."""
    if fan is None or fan.member_id is None:
        return None
    amount = settings_for(session, merchant.id).follow_gift_points
    key = f"follow-gift:{fan.id}"
    if amount <= 0 or idempotency.find_existing(session, PointsTransaction, merchant.id, key) is not None:
        return None
    return points.earn(session, merchant, fan.member_id, amount, key=key, reason="关注公众号礼品",
                       reference=("fan", fan.id))
