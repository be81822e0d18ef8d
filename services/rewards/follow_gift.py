"""The follow gift (关注礼): the active follow rules' rewards, once per follower, ever.

A follower who is not a member yet gets it when they claim the card; one who already is, at once.
Unfollowing and following again gives nothing more: the key is the fan row, not the event (services.rewards.gifts).
"""
from services.members import levels
from services.points import ledger as points
from services.rewards import gifts as gift_rules


def grant_if_member(session, merchant, fan):
    """Grant the follow rules if the fan is a member and has not had them. Returns [(rule, text given)]."""
    given = gift_rules.follow(session, merchant, fan)
    if gift_rules.gave_growth(given):
        levels.apply_upgrade(session, points.lock_member(session, merchant.id, fan.member_id))
    return given


def offer(session, merchant):
    """What a follower who claims the card will get, in words ('' when no follow rule is active)."""
    return gift_rules.pending_offer(session, merchant, "follow")
