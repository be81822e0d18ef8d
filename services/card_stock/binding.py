"""What binding a physical card number to a member asks of the card stock. services/members/members.bind_identity
(the one binding path: the back office's 绑定实体卡, 补卡, and the counter's 发卡) calls `printed_number` first, so a
swiped stripe or scanned barcode binds the number printed on the card, then `activate` before it records the
binding:

- a number in stock that is made or issued becomes active for this member (one conditional UPDATE, so when two
  staff hand the same card to two members at once, one wins and the other is told);
- a number in stock that is lost, returned or already someone else's is refused, saying why;
- a number not in stock is refused once the merchant has stock at all (a typo would bind a card nobody holds),
  and allowed for a merchant without stock (cards printed elsewhere, as before).
"""
from sqlalchemy import select, update

from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from models import MemberCardStock
from services.card_stock import numbers

NOT_IN_STOCK = "该卡号不在本店的实体卡库存中，请核对卡号（可扫描卡背条码）"
TAKEN_MEANWHILE = "该卡刚刚已发给其他会员，请换一张卡"
REFUSALS = {"active": "该卡已绑定其他会员", "lost": "该卡已挂失，不能再发放", "returned": "该卡已退卡作废，不能再发放"}


def printed_number(session, merchant_id, typed):
    return numbers.printed_number(session, merchant_id, typed)


def activate(session, member, card_no, actor=None, now=None):
    """The stock card `card_no` bound to `member` (made/issued -> active); None for a merchant without stock."""
    card = session.scalars(select(MemberCardStock).where(MemberCardStock.merchant_id == member.merchant_id,
                                                         MemberCardStock.card_no == card_no)).one_or_none()
    if card is None:
        if numbers.merchant_has_stock(session, member.merchant_id):
            raise DomainError(NOT_IN_STOCK, field="card_no")
        return None
    if card.state == "active" and card.member_id == member.id:
        return card
    if card.state not in ("made", "issued"):
        raise Conflict(REFUSALS[card.state], state=card.state)
    now = now or now_utc()
    done = session.execute(
        update(MemberCardStock).where(MemberCardStock.id == card.id, MemberCardStock.state == card.state)
        .values(state="active", member_id=member.id, activated_at=now, issued_at=card.issued_at or now,
                issued_by_id=card.issued_by_id or (actor.id if actor is not None else None))
        .execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(TAKEN_MEANWHILE)
    return card
