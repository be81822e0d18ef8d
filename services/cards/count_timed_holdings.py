"""Reading count and timed cards: one of the merchant's (or of a member's own), a member's usable and finished
cards, the state a member sees, today's uses of a timed card, and the allowance lines the till and the member's
page show."""
from sqlalchemy import func, select

from domain import timed_cards as rules
from domain.cards import ACTIVE, COUNT, EXPIRED, PENDING
from domain.clock import now_utc, to_local, until_text
from domain.errors import NotFound
from models import Card, Verification
from services.cards.count_timed_templates import KINDS
from services.shared.tenancy import get_owned, merchant_timezone, scoped


def owned_card(session, merchant_id, card_id):
    """The merchant's count or timed card; NotFound for any other kind or merchant."""
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind not in KINDS:
        raise NotFound("记录不存在")
    return card


def member_cards(session, merchant_id, member_id, now=None):
    """(usable, finished) count and timed cards of a member; extension purchase rows are not cards to show."""
    now = now or now_utc()
    rows = session.scalars(scoped(Card, merchant_id).where(
        Card.member_id == member_id, Card.kind.in_(KINDS), Card.extended_into_id.is_(None))
        .order_by(Card.id.desc())).all()
    usable = [c for c in rows if c.state in (ACTIVE, PENDING) and (c.ends_at is None or c.ends_at > now)]
    finished = [c for c in rows if c not in usable]
    return usable, finished


def member_card(session, merchant_id, member_id, card_id, lock=False):
    """The member's own count or timed card; NotFound for anyone else's."""
    card = get_owned(session, Card, merchant_id, card_id, lock=lock)
    if card.member_id != member_id or card.kind not in KINDS or card.extended_into_id is not None:
        raise NotFound("记录不存在")
    return card


def status_of(card, now):
    """'usable', or the state the member should see ('expired' when the end has passed but no job wrote it)."""
    if card.state in (ACTIVE, PENDING):
        return "usable" if card.ends_at is None or card.ends_at > now else EXPIRED
    return card.state


def used_today(session, card, now, tz_name):
    """Uses of this card in the merchant's local day containing `now`, undone ones excluded."""
    start, end = rules.local_day_bounds(now, tz_name)
    return session.scalar(select(func.coalesce(func.sum(func.coalesce(Verification.quantity, 1)), 0)).where(
        Verification.card_id == card.id, Verification.undone_at.is_(None),
        Verification.created_at >= start, Verification.created_at < end)) or 0


def summary(session, card, now):
    """[(label, value)] lines about a card's allowance, in Chinese, for the till and the member page."""
    tz_name = merchant_timezone(session, card.merchant_id)
    lines = []
    if card.kind == COUNT:
        template = card.template
        if template.service_name:
            lines.append(("服务项目", template.service_name))
        lines.append(("剩余次数", f"{card.uses_left} / {card.uses_total} 次"))
    else:
        if card.starts_at is None:
            lines.append(("时长", f"{card.days} 天，首次使用时开始"))
        elif card.starts_at > now:
            lines.append(("开始日期", f"{to_local(card.starts_at, tz_name):%Y-%m-%d}"))
        if card.starts_at is not None and card.ends_at is not None and card.starts_at <= now:
            lines.append(("剩余天数", f"{rules.days_left(card.ends_at, now)} 天"))
        limit = "不限" if card.daily_limit is None else f"{card.daily_limit} 次"
        lines.append(("今日已用", f"{used_today(session, card, now, tz_name)} 次（每日上限 {limit}）"))
    lines.append(("有效期至", until_text(card.ends_at, tz_name)))
    return lines
