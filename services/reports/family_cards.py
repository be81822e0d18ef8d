"""Cards (卡券报表 · 次卡、时长卡、礼品卡、权益卡): per day and template, the cards sold and given, the physical gift
cards activated, the uses and their undos per store, and the refunds. Not incremental: a closed day is rebuilt from
the raw rows, today is summed live. The template's kind (count, timed, gift, benefit) is the template's, so the keys
carry the template id only.

Keys (count, amount in fen):
- sold:<template>: cards bought with money in the member centre (channel `purchase`, not a physical batch card),
  on the moment the order's fulfilment made the card row (`cards.created_at`); amount = what was paid for it
  (`price_paid`: the order's amount for a count, timed or benefit card, the face value of each gift card). A timed
  card bought while one is held lengthens that one, and the purchase is still its own row: counted. No store (0):
  cards are sold online.
- given:<template>: cards given free (staff, a campaign, a reward: any channel but `purchase` and `friend`), same
  moment, no amount. A gift card passed to a friend (`friend`) is neither sold nor given: the value was sold once.
- activated:<template>: physical gift cards (made in a batch, sold over the counter outside this system) whose value
  arrived when a member bound them (`activated_at`); amount = the face value. No store (0).
- used:<template>: verifications of a card made that day, per store; count = the uses taken (a count card's use may
  take several: `quantity`; one for a timed card or a gift-card spend), amount = the money spent from a gift card
  (`amount_taken`; 0 for the other kinds). Benefit cards are not verified: their discount at the till is in the
  sales report (权益卡折扣).
- undone:<template>: the same for verifications undone that day (`undone_at`), per the verification's store: a use
  stays on its day and its undo on the day it happened, so no closed day changes when a use is undone later.
- refunded:<template>: cards taken back with their refund that day: a benefit card's refund record (`card_refunds`,
  its amount, 0 when taken back without money; a refund of the order that bought it makes this record too, so the
  order's refund is not counted again), and a refund of an order that bought a count or timed card
  (`order_refunds`, not one the channel failed: that money never went back). Gift cards cannot be refunded. No
  store (0).
"""
from sqlalchemy import Integer, String, cast, func, literal, select, union_all

from models import Card, CardRefund, Order, OrderRefund, Verification
from services.reports.families import register

FAMILY = "cards"
SOLD_CHANNEL = "purchase"
NOT_GIVEN = ("purchase", "friend")
CARD_INSTRUMENTS = ("count_card", "timed_card", "gift_card", "benefit_card")
REFUNDED_ORDER_KINDS = ("count_card", "timed_card")  # benefit cards: their card_refunds row says it


@register(FAMILY)
def day_rows(window):
    merchant, start, end = window.merchant_id, window.start, window.end
    made = (Card.merchant_id == merchant, Card.created_at >= start, Card.created_at < end)
    no_store = literal(0, Integer)
    parts = [
        select(no_store, _key("sold:", Card.template_id), func.count(), func.sum(func.coalesce(Card.price_paid, 0)))
        .where(*made, Card.channel == SOLD_CHANNEL, Card.batch_id.is_(None)).group_by(Card.template_id),
        select(no_store, _key("given:", Card.template_id), func.count(), literal(0, Integer))
        .where(*made, Card.channel.not_in(NOT_GIVEN)).group_by(Card.template_id),
        select(no_store, _key("activated:", Card.template_id), func.count(), func.sum(Card.face_value))
        .where(Card.merchant_id == merchant, Card.activated_at >= start, Card.activated_at < end,
               Card.batch_id.is_not(None)).group_by(Card.template_id),
        _verifications(window, "used:", Verification.created_at),
        _verifications(window, "undone:", Verification.undone_at),
        select(no_store, _key("refunded:", Card.template_id), func.count(), func.sum(CardRefund.amount))
        .join(Card, Card.id == CardRefund.card_id)
        .where(CardRefund.merchant_id == merchant, CardRefund.created_at >= start, CardRefund.created_at < end)
        .group_by(Card.template_id),
        _order_refunds(window),
    ]
    united = union_all(*parts).subquery()
    columns = list(united.c)
    return select(columns[0].label("store_id"), columns[1].label("key"), columns[2].label("count"),
                  columns[3].label("amount"))


def _key(prefix, template_id):
    return literal(prefix, String) + cast(template_id, String)


def _verifications(window, prefix, moment):
    """Card verifications whose `moment` falls in the day, per store and template: uses taken, gift money spent."""
    return (select(Verification.store_id, _key(prefix, Card.template_id),
                   func.sum(func.coalesce(Verification.quantity, 1)),
                   func.sum(func.coalesce(Verification.amount_taken, 0)))
            .join(Card, Card.id == Verification.card_id)
            .where(Verification.merchant_id == window.merchant_id, moment >= window.start, moment < window.end,
                   Verification.instrument_type.in_(CARD_INSTRUMENTS))
            .group_by(Verification.store_id, Card.template_id))


def _order_refunds(window):
    """Refunds of orders that bought a count or timed card; the template is the one the order priced. One row per
    refund (a day has few), not grouped: the JSON path is a bound parameter, which PostgreSQL would not match
    between the SELECT and a GROUP BY."""
    template_id = Order.items["template_id"].as_integer()
    return (select(literal(0, Integer), _key("refunded:", template_id), literal(1, Integer), OrderRefund.amount)
            .join(Order, Order.id == OrderRefund.order_id)
            .where(OrderRefund.merchant_id == window.merchant_id, OrderRefund.created_at >= window.start,
                   OrderRefund.created_at < window.end, OrderRefund.state != "failed",
                   Order.kind.in_(REFUNDED_ORDER_KINDS)))
