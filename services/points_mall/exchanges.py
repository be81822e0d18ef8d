"""Members' gift exchanges: spending points for a gift, cancelling an unclaimed one with the points back, and
the lists members, staff and the back office read. A gift that is a card is issued in the same transaction and
the exchange is handed over at once (services/points_mall/card_gifts.py).

An exchange locks the member's row first (the points ledger's order), so one member's exchanges run one after
another and the per-member limit counts what they already hold; the stock is then taken by a conditional UPDATE
(stock > 0), so 50 members racing for the last 10 gifts get exactly 10 and the others spend nothing.
"""
from datetime import timedelta

from sqlalchemy import func, select, update

from domain import points_mall as rules
from domain.clock import now_utc
from domain.errors import Conflict, InsufficientPoints, NotFound
from models import GiftExchange, Level, PointsGift
from services.points import ledger as points
from services.points_mall import card_gifts
from services.shared import idempotency
from services.shared.tenancy import checked_id, get_owned, scoped

MAX_CODE_ATTEMPTS = 5
# Exchanges that still hold a gift for the member (count against the per-member limit).
HOLDING = (rules.PENDING, rules.HANDED_OVER)


def refusal(session, merchant_id, gift, member, now):
    """Why this member cannot exchange this gift now (Chinese), or None. Points are checked separately."""
    if not gift.active:
        return "该礼品已下架"
    if gift.starts_at is not None and now < gift.starts_at:
        return "该礼品尚未开始兑换"
    if gift.ends_at is not None and now >= gift.ends_at:
        return "该礼品兑换已结束"
    if rules.price_for(gift.points_prices, member.level_id) is None:
        return level_refusal(session, merchant_id, member.level_id)
    if gift.stock <= 0:
        return "礼品已兑完"
    if gift.per_member_limit and held_count(session, merchant_id, gift.id, member.id) >= gift.per_member_limit:
        return f"每人限兑 {gift.per_member_limit} 件，您已兑满"
    return None


def level_refusal(session, merchant_id, level_id):
    """The refusal naming the member's level: "银卡会员不可兑换该礼品"."""
    level = session.get(Level, level_id) if level_id is not None else None
    if level is None or level.merchant_id != merchant_id:
        return "您当前的等级不可兑换该礼品"
    name = level.name if level.name.endswith("会员") else f"{level.name}会员"
    return f"{name}不可兑换该礼品"


def held_count(session, merchant_id, gift_id, member_id):
    return session.scalar(select(func.count()).select_from(GiftExchange).where(
        GiftExchange.merchant_id == merchant_id, GiftExchange.gift_id == gift_id,
        GiftExchange.member_id == member_id, GiftExchange.state.in_(HOLDING)))


def exchange(session, merchant, gift_id, member_id, *, key, now=None, operator=None, store_id=None):
    """Spend the member's points for one gift. Returns the GiftExchange; a retry with the same key replays.
    `operator`, `store_id`: the staff member exchanging for the member at a store's counter (services/points_mall/
    counter.py), named on the points spent."""
    idempotency.check_key(key)
    now = now or now_utc()
    member = points.lock_member(session, merchant.id, member_id)
    earlier = idempotency.find_existing(session, GiftExchange, merchant.id, key)
    if earlier is not None:
        return idempotency.ensure_same_request(earlier, gift_id=checked_id(gift_id), member_id=member.id)
    gift = get_owned(session, PointsGift, merchant.id, gift_id)
    reason = refusal(session, merchant.id, gift, member, now)
    if reason is not None:
        raise Conflict(reason)
    price = rules.price_for(gift.points_prices, member.level_id)
    if member.points_balance < price:
        raise InsufficientPoints(f"积分不足，需要 {price} 积分", needed=price, balance=member.points_balance)
    _take_one_from_stock(session, merchant.id, gift.id)
    row = GiftExchange(merchant_id=merchant.id, gift_id=gift.id, member_id=member.id, gift_name=gift.name,
                       points=price, pickup_code=_unused_code(session, merchant.id), state=rules.PENDING,
                       idempotency_key=key, created_at=now,
                       expires_at=now + timedelta(days=gift.pickup_days) if gift.pickup_days else None)
    session.add(row)
    session.flush()
    points.spend(session, merchant, member.id, price, key=f"{key}:points", reason=f"积分兑换礼品：{gift.name}",
                 reference=("gift_exchange", row.id), operator=operator, store_id=store_id, now=now)
    if gift.card_template_id is not None:  # a card: into the member's card package now, nothing to pick up
        card = card_gifts.issue(session, merchant, gift, member.id, key=f"{key}:card", now=now)
        row.card_id, row.state, row.handed_over_at, row.expires_at = card.id, rules.HANDED_OVER, now, None
        row.store_id, row.staff_id = store_id, operator.id if operator is not None else None
        session.flush()
    session.expire(gift, ["stock", "exchanged"])
    return row


def _take_one_from_stock(session, merchant_id, gift_id):
    taken = session.execute(
        update(PointsGift).where(PointsGift.id == gift_id, PointsGift.merchant_id == merchant_id,
                                 PointsGift.stock > 0)
        .values(stock=PointsGift.stock - 1, exchanged=PointsGift.exchanged + 1)
        .returning(PointsGift.id).execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        raise Conflict("礼品已兑完")


def _unused_code(session, merchant_id):
    for _ in range(MAX_CODE_ATTEMPTS):
        code = rules.new_pickup_code()
        if find_by_code(session, merchant_id, code) is None:
            return code
    raise Conflict("请稍后重试")


def find_by_code(session, merchant_id, code):
    return session.scalars(scoped(GiftExchange, merchant_id).where(GiftExchange.pickup_code == code)).one_or_none()


def cancel(session, merchant, exchange_id, *, by_member_id=None, staff=None, now=None):
    """Cancel an unclaimed exchange: the gift goes back to stock and the points back to the member (a credit with
    its own key, so a second cancel changes nothing). `by_member_id`: the member cancelling their own."""
    return _release(session, merchant, exchange_id, rules.CANCELLED, by_member_id=by_member_id, staff=staff,
                    now=now)


def expire_due(session, merchant, now=None, limit=500):
    """Unclaimed exchanges past their pick-up date expire, with the points back. Returns how many."""
    now = now or now_utc()
    due = session.scalars(scoped(GiftExchange, merchant.id).where(
        GiftExchange.state == rules.PENDING, GiftExchange.expires_at <= now).limit(limit)).all()
    for row in due:
        _release(session, merchant, row.id, rules.EXPIRED, now=now)
    return len(due)


def _release(session, merchant, exchange_id, to, *, by_member_id=None, staff=None, now=None):
    now = now or now_utc()
    row = get_owned(session, GiftExchange, merchant.id, exchange_id)
    if by_member_id is not None and row.member_id != by_member_id:
        raise NotFound("记录不存在")
    moved = session.execute(
        update(GiftExchange).where(GiftExchange.id == row.id, GiftExchange.merchant_id == merchant.id,
                                   GiftExchange.state == rules.PENDING)
        .values(state=to, cancelled_at=now, cancelled_by_id=staff.id if staff is not None else None)
        .returning(GiftExchange.id).execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if moved is None:
        session.refresh(row)
        raise Conflict(f"该兑换{rules.state_label(row.state)}，不能取消")
    session.execute(update(PointsGift).where(PointsGift.id == row.gift_id, PointsGift.merchant_id == merchant.id)
                    .values(stock=PointsGift.stock + 1, exchanged=PointsGift.exchanged - 1)
                    .execution_options(synchronize_session=False))
    what = "取消" if to == rules.CANCELLED else "过期"
    points.earn(session, merchant, row.member_id, row.points, key=f"gift_exchange:{row.id}:returned",
                kind="reverse", reason=f"礼品兑换{what}退回：{row.gift_name}", reference=("gift_exchange", row.id),
                operator=staff, now=now)
    session.refresh(row)
    return row


def of_member(session, merchant_id, member_id, limit=100):
    return session.scalars(scoped(GiftExchange, merchant_id).where(GiftExchange.member_id == member_id)
                           .order_by(GiftExchange.id.desc()).limit(limit)).all()


def member_exchange(session, merchant_id, member_id, exchange_id):
    row = get_owned(session, GiftExchange, merchant_id, exchange_id)
    if row.member_id != member_id:
        raise NotFound("记录不存在")
    return row
