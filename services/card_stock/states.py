"""Every move of a physical member card through its states (domain/card_stock.MOVES), each one conditional
UPDATE on the state the card was read in, so two staff acting at once move it once and a move out of order is
refused: handing cards to a store (made -> issued, a set at once), handing one card out, taking an unbound card
back, binding it to a member (made/issued -> active, services/card_stock/binding.py), and following the member
card's own life (lost, returned, replaced: services/cards/physical.py)."""
from sqlalchemy import func, select, update

from domain import card_stock as rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from models import MemberCardStock, Store
from services.card_stock.batches import batch_of, require
from services.merchant import audit
from services.shared.tenancy import get_owned

MOVED_MEANWHILE = "该卡状态刚刚已变化，请刷新后重试"


def card_of(session, merchant_id, card_id):
    return get_owned(session, MemberCardStock, merchant_id, card_id)


def move(session, card, to, **values):
    """card.state -> to, only if nobody moved it since it was read; refuses a move the states do not allow."""
    if not rules.can_move(card.state, to):
        raise Conflict(rules.refusal(card.state, to), state=card.state)
    done = session.execute(update(MemberCardStock)
                           .where(MemberCardStock.id == card.id, MemberCardStock.state == card.state)
                           .values(state=to, **values).execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(MOVED_MEANWHILE)
    return card


def _store(session, merchant_id, store_id):
    if store_id is None:
        return None
    store = get_owned(session, Store, merchant_id, store_id)
    if not store.active:
        raise DomainError("该门店已停用", field="store_id")
    return store


def issue_card(session, actor, card_id, *, store_id=None, ip=None, now=None):
    """One card handed out without binding it (to a store, or to a person who binds it later): made -> issued."""
    require(actor, "card_stock.manage")
    card = card_of(session, actor.merchant_id, card_id)
    store = _store(session, actor.merchant_id, store_id)
    move(session, card, "issued", store_id=store.id if store else None, issued_by_id=actor.id,
         issued_at=now or now_utc())
    audit.record(session, actor, "card_stock.issue", "member_card", card.id, ip=ip,
                 after={"card_no": card.card_no, "store_id": store.id if store else None})
    return card


def issue_to_store(session, actor, batch_id, *, store_id, count, ip=None, now=None):
    """The next `count` cards of the batch still in stock (in printing order) handed to a store: made -> issued,
    one UPDATE. Returns how many moved (fewer when fewer were left)."""
    require(actor, "card_stock.manage")
    batch = batch_of(session, actor.merchant_id, batch_id)
    store = _store(session, actor.merchant_id, store_id)
    if store is None:
        raise DomainError("请选择门店", field="store_id")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= rules.MAX_BATCH:
        raise DomainError(f"发放数量须在 1 到 {rules.MAX_BATCH:,} 张之间", field="count")
    picked = (select(MemberCardStock.id)
              .where(MemberCardStock.merchant_id == actor.merchant_id, MemberCardStock.batch_id == batch.id,
                     MemberCardStock.state == "made")
              .order_by(MemberCardStock.card_no).limit(count))
    moved = session.execute(update(MemberCardStock)
                            .where(MemberCardStock.id.in_(picked), MemberCardStock.state == "made")
                            .values(state="issued", store_id=store.id, issued_by_id=actor.id,
                                    issued_at=now or now_utc())
                            .execution_options(synchronize_session=False)).rowcount
    if moved == 0:
        raise Conflict("该批次已没有未发放的卡")
    audit.record(session, actor, "card_stock.issue_store", "member_card_batch", batch.id, ip=ip,
                 after={"store_id": store.id, "count": moved})
    return moved


def take_back(session, actor, card_id, *, ip=None, now=None):
    """A card handed out but never bound is taken back and retired (issued -> returned)."""
    require(actor, "card_stock.manage")
    card = card_of(session, actor.merchant_id, card_id)
    move(session, card, "returned", returned_at=now or now_utc())
    audit.record(session, actor, "card_stock.return", "member_card", card.id, ip=ip, after={"card_no": card.card_no})
    return card


# What each move of a member's bound card (services/cards/physical.py) stamps.
STAMPS = {"lost": "lost_at", "returned": "returned_at"}


def follow_member_card(session, merchant_id, card_no, to, now=None):
    """The member card bound under `card_no` was reported lost, returned or replaced: its stock card follows, from
    whichever state may move there. A number that was never in stock changes nothing. Returns the rows moved."""
    sources = [state for state in rules.STATES if rules.can_move(state, to)]
    return session.execute(update(MemberCardStock)
                           .where(MemberCardStock.merchant_id == merchant_id, MemberCardStock.card_no == card_no,
                                  MemberCardStock.state.in_(sources))
                           .values(state=to, **{STAMPS[to]: now or now_utc()})
                           .execution_options(synchronize_session=False)).rowcount


def of_member(session, merchant_id, member_id):
    """The stock cards bound to a member, newest first (the member page shows their batch and state)."""
    return session.scalars(select(MemberCardStock).where(MemberCardStock.merchant_id == merchant_id,
                                                         MemberCardStock.member_id == member_id)
                           .order_by(MemberCardStock.id.desc())).all()


def issued_in_store(session, merchant_id, store_id):
    """How many cards wait in a store to be handed to members (issued there, not yet bound)."""
    return session.scalar(select(func.count()).select_from(MemberCardStock).where(
        MemberCardStock.merchant_id == merchant_id, MemberCardStock.store_id == store_id,
        MemberCardStock.state == "issued"))
