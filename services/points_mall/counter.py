"""积分兑换 at the counter (POS积分商城, seed 000 §10): a staff member exchanges a gift for a member they found, from
the member's points, and cancels a member's unclaimed exchange with the points back.

At a counter the customer is standing there and the gift is on the shelf, so the gift is handed over at once: the
exchange (points spent, stock taken, services/points_mall/exchanges.py) and its hand-over (a verification record
naming the store and the staff member, services/points_mall/instrument.py) are one transaction, and no pick-up code
is left waiting. Both carry keys derived from the one the form was shown with, so a double tap exchanges once. A
gift handed over by mistake is put back by undoing the verification on the staff records page (撤销: it is 待领取
again), then cancelled here with the points back.

Permission `points_mall.exchange_for_member` (owner, admin, operator, cashier), in a store the staff member works
in. Another merchant's member, gift or exchange is not found before any permission is looked at.
"""
from dataclasses import dataclass

from domain import points_mall as rules
from domain.clock import now_utc
from domain.errors import PermissionDenied
from services.points_mall import exchanges, gifts, instrument, records
from services.verification import records as verifications

PERMISSION = "points_mall.exchange_for_member"
PENDING_SHOWN = 20


@dataclass(frozen=True)
class Offer:
    """A gift as the counter sees it for one member: its price at their level (None: the level may not) and why
    they cannot have it now (None: they can)."""

    gift: object
    price: int | None
    refusal: str | None


def offers(session, merchant, member, now=None):
    """The gifts on offer now with this member's price and refusal (level, stock, dates, limit, points)."""
    now = now or now_utc()
    found = []
    for gift in gifts.on_offer(session, merchant.id, now):
        price = rules.price_for(gift.points_prices, member.level_id)
        refusal = exchanges.refusal(session, merchant.id, gift, member, now)
        if refusal is None and member.points_balance < price:
            refusal = f"积分不足，需要 {price} 积分"
        found.append(Offer(gift, price, refusal))
    return found


def pending(session, merchant_id, member_id):
    """The member's exchanges still waiting to be picked up (the ones a counter may cancel), newest first."""
    return [row for row in exchanges.of_member(session, merchant_id, member_id, limit=PENDING_SHOWN)
            if row.state == rules.PENDING]


def exchange_and_hand_over(session, actor, member, gift_id, *, store_id, key, now=None):
    """Exchange the gift for `member` (a member the actor may see) and hand it over in the store at once.
    Returns (exchange, verification record, None for a card); a repeat of `key` returns the first ones and spends
    nothing."""
    now = now or now_utc()
    gift = gifts.get(session, actor.merchant_id, gift_id)  # another merchant's gift: NotFound, before the role
    _check_permission(actor)
    store = verifications.actor_store(session, actor, store_id)
    row = exchanges.exchange(session, actor.merchant, gift.id, member.id, key=key, now=now, operator=actor,
                             store_id=store.id)
    if row.card_id is not None:  # a card went into the member's card package: nothing to hand over
        return row, None
    record = instrument.hand_over(session, actor, row.id, store_id=store.id, method="manual",
                                  key=f"{key}:hand-over", now=now)
    session.refresh(row)
    return row, record


def cancel(session, actor, member, exchange_id, ip=None):
    """Cancel the member's unclaimed exchange with the points back (once: a second cancel is refused). Audited."""
    exchanges.member_exchange(session, actor.merchant_id, member.id, exchange_id)  # theirs, else NotFound
    _check_permission(actor)
    return records.cancel_for_member(session, actor, actor.merchant, exchange_id, ip=ip)


def may_exchange(actor):
    return actor.can(PERMISSION)


def _check_permission(actor):
    if not actor.can(PERMISSION):
        raise PermissionDenied("您的角色不能为会员兑换积分礼品，请联系店长")
