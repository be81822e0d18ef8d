"""A staff member hands a physical member card to a member at the counter (发卡): the card number typed, scanned
(barcode) or swiped (stripe), the PIN when the card's batch has one, then the member card binding every path
shares (services/members/members.bind_identity, which activates the stock card). Selling the card with a top-up
is this, then the counter top-up (services/wallet/counter_topup.py) in the same flow on the staff page."""
from dataclasses import dataclass

from sqlalchemy import update

from domain import card_stock as rules
from domain.errors import Conflict, DomainError, IdentityTaken
from models import MemberCardStock
from services.card_stock import numbers
from services.card_stock.batches import require
from services.card_stock.binding import NOT_IN_STOCK, REFUSALS, TAKEN_MEANWHILE
from services.members import members


class WrongPin(DomainError):
    """The PIN typed is not the card's: counted against the staff member's look-up limit, like an unknown number."""

    code = "wrong_card_pin"


@dataclass(frozen=True)
class Issued:
    card_no: str
    identity_id: int
    from_stock: bool


def needs_pin(session, merchant_id, typed):
    """Whether the card behind this number asks for a PIN (the page shows the PIN box then)."""
    card = numbers.find(session, merchant_id, typed)
    return card is not None and card.batch.with_pin


def issue_to_member(session, actor, member, typed, *, pin=None, store_id=None):
    """Bind the card to the member; returns Issued. Refuses a number not in stock (when the merchant has stock),
    a card lost, returned or someone else's, and a missing or wrong PIN."""
    require(actor, "cards.issue", "您没有发卡的权限")
    card = numbers.find(session, member.merchant_id, typed)
    if card is None:
        if numbers.merchant_has_stock(session, member.merchant_id):
            raise DomainError(NOT_IN_STOCK, field="card_no")
        identity = members.bind_identity(session, member, "card_no", rules.clean_number(typed), actor=actor)
        return Issued(identity.value, identity.id, False)
    if card.state == "active" and card.member_id == member.id:
        raise Conflict("该卡已绑定该会员，无需重复发卡")
    if card.state not in rules.ISSUABLE:
        raise Conflict(REFUSALS[card.state], state=card.state)
    if card.batch.with_pin:
        if not (pin or "").strip():
            raise DomainError("请输入卡背面的密码", field="pin")
        if not rules.pin_matches(card.pin, pin):
            raise WrongPin("卡密码不正确，请核对卡背面的密码", field="pin")
    try:
        identity = members.bind_identity(session, member, "card_no", card.card_no, actor=actor)
    except IdentityTaken:
        holder = members.find_by_identity(session, member.merchant_id, "card_no", card.card_no)
        if holder is not None and holder.id != member.id:  # bound by another staff member a moment ago
            raise Conflict(TAKEN_MEANWHILE) from None
        raise
    if store_id is not None:  # handed out here: a card no store was given counts as this store's
        session.execute(update(MemberCardStock).where(MemberCardStock.id == card.id, MemberCardStock.store_id.is_(None))
                        .values(store_id=store_id).execution_options(synchronize_session=False))
    return Issued(identity.value, identity.id, True)
