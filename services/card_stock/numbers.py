"""Numbers for new physical member cards, unique in the merchant's number space, and a number staff typed, scanned
or swiped resolved to its card.

A card number must be new among the merchant's stock, the card numbers bound to members (a number bound before
there was any stock) and the physical gift cards, so that a number typed at the till never names two cards; the
stripe numbers and barcodes must be new among the stock. Candidates are drawn in sets and checked with one query
per space (services/shared/id_lists: one array parameter), under the merchant's card-number lock
(services/shared/advisory_locks), so two batches made at once never draw the same number.
"""
from sqlalchemy import Text, exists, or_, select

from domain import card_stock as rules
from domain.errors import DomainError
from models import Card, MemberCardStock, MemberIdentity
from services.shared import advisory_locks
from services.shared.id_lists import among


def fresh_cards(session, merchant_id, count, *, prefix, with_track, with_barcode, with_pin):
    """`count` rows of numbers (card_no, and track_no / barcode / pin as the batch asks), none in use."""
    advisory_locks.card_numbers(session, merchant_id)
    card_nos = _fresh(session, count, lambda: rules.new_card_no(prefix), _card_no_taken(session, merchant_id))
    tracks = _fresh(session, count, rules.new_track_no, _stock_taken(session, merchant_id, MemberCardStock.track_no)) \
        if with_track else [None] * count
    barcodes = _fresh(session, count, rules.new_barcode,
                      _stock_taken(session, merchant_id, MemberCardStock.barcode)) if with_barcode else [None] * count
    return [{"card_no": card_no, "track_no": track, "barcode": barcode, "pin": rules.new_pin() if with_pin else None}
            for card_no, track, barcode in zip(card_nos, tracks, barcodes)]


def _fresh(session, count, draw, taken):
    """`count` distinct values from `draw`, none of which `taken` reports as in use."""
    chosen = set()
    while len(chosen) < count:
        wanted = {draw() for _ in range(count - len(chosen))} - chosen
        chosen |= wanted - taken(wanted)
    return list(chosen)


def _card_no_taken(session, merchant_id):
    def taken(numbers):
        found = set(session.scalars(select(MemberCardStock.card_no).where(
            MemberCardStock.merchant_id == merchant_id, among(session, MemberCardStock.card_no, numbers, Text))))
        found |= set(session.scalars(select(MemberIdentity.value).where(
            MemberIdentity.merchant_id == merchant_id, MemberIdentity.kind == "card_no", MemberIdentity.app_id == "",
            among(session, MemberIdentity.value, numbers, Text))))
        found |= set(session.scalars(select(Card.card_no).where(
            Card.merchant_id == merchant_id, among(session, Card.card_no, numbers, Text))))
        return found

    return taken


def _stock_taken(session, merchant_id, column):
    def taken(values):
        return set(session.scalars(select(column).where(MemberCardStock.merchant_id == merchant_id,
                                                        among(session, column, values, Text))))

    return taken


# --- a number staff typed, scanned or swiped -------------------------------------------------------------------

def find(session, merchant_id, typed, lock=False):
    """The stock card whose printed number, stripe number or barcode this is (cleaned first), or None."""
    number = rules.clean_number(typed)
    query = select(MemberCardStock).where(
        MemberCardStock.merchant_id == merchant_id,
        or_(MemberCardStock.card_no == number, MemberCardStock.track_no == number, MemberCardStock.barcode == number))
    if lock:
        query = query.with_for_update()
    return session.scalars(query.order_by(MemberCardStock.id).limit(1)).first()


def printed_number(session, merchant_id, typed):
    """The number printed on the card a swiped stripe or a scanned barcode belongs to; what was typed otherwise
    (the bound identity of a member card is always its printed number)."""
    try:
        card = find(session, merchant_id, typed)
    except DomainError:  # a shape clean_number refuses is left for the caller's own checks
        return (typed or "").strip()
    return card.card_no if card is not None else (typed or "").strip()


def by_stripe_or_barcode(session, merchant_id, typed):
    """The printed number of the card whose stripe or barcode this is, or None (the till's fallback look-up)."""
    number = "".join((typed or "").split()).strip(rules.STRIPE_SENTINELS).upper()
    if not number or len(number) > rules.MAX_TYPED:
        return None
    return session.scalars(select(MemberCardStock.card_no).where(
        MemberCardStock.merchant_id == merchant_id,
        or_(MemberCardStock.track_no == number, MemberCardStock.barcode == number)).limit(1)).first()


def merchant_has_stock(session, merchant_id):
    """Whether the merchant ever made a batch: from then on only stock cards may be bound."""
    return session.scalar(select(exists().where(MemberCardStock.merchant_id == merchant_id)))
