"""A member's physical card (挂失、补卡、退卡): report it lost, replace it with a new number, or return it.

Balance, points, cards and coupons belong to the member, not to the card number, so a replacement moves
everything by binding the new number and retiring the old one in one transaction; the old number keeps its
row (inactive, with `replaced_by_id`), and since numbers are unique per merchant it can never be bound again.
Losing a card freezes the member's wallet (read-only); replacing unfreezes it; returning settles the wallet
(principal back to the member, bonus back to the merchant) and closes the number for good. A card from the
merchant's stock (services/card_stock) follows each move: lost, returned, and on a replacement the old card
returned and the new one active.
"""
from domain.clock import now_utc
from domain.errors import Conflict, NotFound
from models import MemberIdentity
from services.card_stock import numbers as stock_numbers, states as stock_states
from services.merchant import audit
from services.wallet import journal as wallet
from services.shared.tenancy import get_owned
from sqlalchemy import select
from services.members import members


def card_of(session, member, identity_id, lock=True):
    card = get_owned(session, MemberIdentity, member.merchant_id, identity_id, lock=lock)
    if card.member_id != member.id or card.kind != "card_no":
        raise NotFound("记录不存在")
    return card


def status(card):
    if card.closed_at is not None:
        return "returned" if card.replaced_by_id is None else "replaced"
    if card.lost_at is not None:
        return "lost"
    return "active" if card.active else "inactive"


STATUS_LABELS = {"active": "正常", "lost": "已挂失", "replaced": "已补卡作废", "returned": "已退卡", "inactive": "停用"}


def report_lost(session, actor, member, identity_id, *, key, note=None, ip=None, now=None):
    """The number stops working at once and the wallet becomes read-only."""
    now = now or now_utc()
    card = card_of(session, member, identity_id)
    if status(card) != "active":
        raise Conflict(f"该卡当前为「{STATUS_LABELS[status(card)]}」，不能挂失")
    card.active, card.lost_at = False, now
    stock_states.follow_member_card(session, member.merchant_id, card.value, "lost", now)
    purse = wallet.member_wallet(session, member.merchant_id, member.id)
    wallet.set_frozen(session, member.merchant_id, purse.id, True, key=f"{key}:freeze", operator=actor,
                      note=note or "会员卡挂失")
    audit.record(session, actor, "member_card.lost", "member", member.id, after={"card_no": card.value, "note": note},
                 ip=ip)
    session.flush()
    return card


def replace(session, actor, member, identity_id, new_card_no, *, key, ip=None, now=None):
    """A new number for a lost (or damaged) card; the old one never works again. Unfreezes the wallet."""
    now = now or now_utc()
    card = card_of(session, member, identity_id)
    if status(card) not in ("active", "lost"):
        raise Conflict(f"该卡当前为「{STATUS_LABELS[status(card)]}」，不能补卡")
    fresh = members.bind_identity(session, member, "card_no", new_card_no, actor=actor)
    if fresh.id == card.id:
        raise Conflict("新卡号不能与旧卡号相同")
    card.active, card.closed_at, card.replaced_by_id = False, now, fresh.id
    stock_states.follow_member_card(session, member.merchant_id, card.value, "returned", now)
    purse = wallet.member_wallet(session, member.merchant_id, member.id)
    if purse.frozen:
        wallet.set_frozen(session, member.merchant_id, purse.id, False, key=f"{key}:unfreeze", operator=actor,
                          note="补卡解冻")
    audit.record(session, actor, "member_card.replace", "member", member.id,
                 before={"card_no": card.value}, after={"card_no": fresh.value}, ip=ip)
    session.flush()
    return fresh


def number_status(session, merchant_id, number):
    """(member, status) of a typed card number, including retired ones, so the till can say why it fails. A
    swiped stripe or a scanned barcode of a stock card names its printed number (looked up only on a miss)."""
    card = _bound(session, merchant_id, (number or "").strip())
    if card is None:
        printed = stock_numbers.by_stripe_or_barcode(session, merchant_id, number)
        card = _bound(session, merchant_id, printed) if printed else None
    if card is None:
        raise NotFound("卡号不存在")
    return card.member, status(card)


def _bound(session, merchant_id, value):
    return session.scalars(select(MemberIdentity).where(MemberIdentity.merchant_id == merchant_id,
                                                        MemberIdentity.kind == "card_no",
                                                        MemberIdentity.value == value)).one_or_none()


def refundable(session, member):
    """(principal, bonus) the member's wallet holds: what a return pays back and what it takes back."""
    purse = wallet.member_wallet(session, member.merchant_id, member.id)
    return purse.principal, purse.bonus


def return_card(session, actor, member, identity_id, *, key, ip=None, now=None):
    """Close the card after settling the wallet: principal paid back to the member, bonus returned to the
    merchant, both on the journal. Returns the withdraw transaction (None when the wallet was empty)."""
    now = now or now_utc()
    card = card_of(session, member, identity_id)
    if status(card) not in ("active", "lost"):
        raise Conflict(f"该卡当前为「{STATUS_LABELS[status(card)]}」，不能退卡")
    purse = wallet.member_wallet(session, member.merchant_id, member.id)
    if purse.frozen:
        wallet.set_frozen(session, member.merchant_id, purse.id, False, key=f"{key}:unfreeze", operator=actor,
                          note="退卡结算")
    session.refresh(purse)
    settled = None
    if purse.principal + purse.bonus > 0:
        settled = wallet.withdraw(session, member.merchant_id, purse.id, purse.principal, purse.bonus,
                                  key=f"{key}:settle", reference=("member_card", card.id), operator=actor,
                                  note="退卡：退还本金，收回赠送")
    card.active, card.closed_at = False, now
    stock_states.follow_member_card(session, member.merchant_id, card.value, "returned", now)
    audit.record(session, actor, "member_card.return", "member", member.id,
                 after={"card_no": card.value, "principal_paid_back": settled.principal_delta * -1 if settled else 0,
                        "bonus_taken_back": settled.bonus_delta * -1 if settled else 0}, ip=ip)
    session.flush()
    return settled
