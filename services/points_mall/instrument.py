"""Gift exchanges as the staff page and the API see them: the adapter services/verification/instruments.py lists.

Staff scan or type the member's pick-up code on the existing verify page; handing the gift over is a conditional
UPDATE (pending -> handed_over) and writes a verification record with the store, like a coupon's."""
from sqlalchemy import update

from domain import points_mall as rules
from domain.clock import until_text
from domain.errors import Conflict, DomainError, IdempotencyMismatch
from models import GiftExchange
from services.points_mall import exchanges
from services.shared.tenancy import get_owned, merchant_timezone, scoped
from services.verification import records as verifications
from services.verification.lookup import Lookup

INSTRUMENT_TYPE = "gift_exchange"


class _GiftExchangeInstrument:
    """Gift exchanges as the staff page and the API see them (see services/verification/instruments.py)."""

    kind = INSTRUMENT_TYPE

    def find(self, session, merchant_id, code):
        return exchanges.find_by_code(session, merchant_id, code)

    def describe(self, session, row, store_id, now):
        tz = merchant_timezone(session, row.merchant_id)
        details = [("消耗积分", str(row.points)), ("领取期限", until_text(row.expires_at, tz))]
        return Lookup(kind=self.kind, kind_label="积分商城礼品", id=row.id, code=row.pickup_code, title=row.gift_name,
                      state=row.state, state_label=rules.state_label(row.state), reason=why_not(row, now),
                      member=row.member, details=details)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return hand_over(session, actor, row_id, store_id=store_id, method=method, key=key, now=now)

    def undo(self, session, staff, record, now):
        row = session.scalars(scoped(GiftExchange, staff.merchant_id)
                              .where(GiftExchange.verification_id == record.id)).one_or_none()
        back = None if row is None else session.execute(
            update(GiftExchange).where(GiftExchange.id == row.id, GiftExchange.state == rules.HANDED_OVER)
            .values(state=rules.PENDING, handed_over_at=None, store_id=None, staff_id=None, verification_id=None)
            .execution_options(synchronize_session=False)).rowcount
        if back != 1:
            raise Conflict("礼品兑换状态已变化，不能撤销")
        session.expire(row)

    def held_by(self, session, member, store_id, now):
        rows = session.scalars(scoped(GiftExchange, member.merchant_id)
                               .where(GiftExchange.member_id == member.id, GiftExchange.state == rules.PENDING)
                               .order_by(GiftExchange.id)).all()
        return [self.describe(session, row, store_id, now) for row in rows]


def why_not(row, now):
    if row.state != rules.PENDING:
        return f"该礼品{rules.state_label(row.state)}"
    if row.expires_at is not None and now >= row.expires_at:
        return "该礼品已过领取期限"
    return None


def hand_over(session, actor, exchange_id, *, store_id, method, key, now):
    """Staff hand the gift over in a store: pending -> handed_over, with its verification record. Replay-safe."""
    verifications.check_request(method, key)
    store = verifications.actor_store(session, actor, store_id)
    row = get_owned(session, GiftExchange, actor.merchant_id, exchange_id)
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        if row.verification_id != earlier.id:
            raise IdempotencyMismatch("该幂等键已用于另一笔核销", key=key)
        return earlier
    reason = why_not(row, now)
    if reason is not None:
        raise Conflict(reason)
    moved = session.execute(
        update(GiftExchange).where(GiftExchange.id == row.id, GiftExchange.state == rules.PENDING)
        .values(state=rules.HANDED_OVER, handed_over_at=now, store_id=store.id,
                staff_id=verifications.staff_id_of(actor))
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Conflict("该礼品已被领取或取消")
    record = verifications.record(session, actor, store=store, instrument_type=INSTRUMENT_TYPE,
                                  instrument_name=row.gift_name, method=method, key=key, member_id=row.member_id,
                                  now=now)
    if record is None:
        raise DomainError("核销失败，请重试")
    session.execute(update(GiftExchange).where(GiftExchange.id == row.id).values(verification_id=record.id)
                    .execution_options(synchronize_session=False))
    session.expire(row)
    return record


INSTRUMENT = _GiftExchangeInstrument()
