"""Issuing (selling or giving) a count or timed card to a member.

One `cards` row per purchase. A count card holds `uses_total`/`uses_left` and an optional end
(`template.valid_days` after the day of issue). A timed card holds its length in `days` and its
window in `starts_at`/`ends_at`: pending with no window until the first use (start_mode first_use),
or pending with a window starting N local days after purchase (start_mode after_days, active at once when N=0).

Extension: buying a timed template while the member holds an active or pending card of it lengthens that
card from its current end (`days += tier`, `ends_at += tier`). The purchase still gets its own row, so the
price, tier, channel and idempotency key of every sale stay on record; that row is born closed —
state `expired`, `closed_at` = the purchase time, no window, `extended_into_id` = the card it lengthened —
and is never usable itself (looked up at the till it points to the card it went into). Member pages
list only rows without `extended_into_id`.
"""
from sqlalchemy import or_

from domain import timed_cards as rules
from domain.cards import ACTIVE, COUNT, EXPIRED, PENDING
from domain.clock import now_utc, until_text
from domain.coupons import new_code
from domain.errors import Conflict, DomainError, NotFound
from models import Card, CardTemplate
from models.coupons import CHANNELS
from services.cards import templates as card_templates
from services.cards.count_timed_templates import KINDS
from services.shared import idempotency
from services.shared.tenancy import get_owned, scoped
from services.wechat import notices


def issue(session, merchant, template_id, member_id, *, channel, key, tier_key=None, issued_by=None, price_paid=None,
          stock_reserved=False, now=None):
    """Issue (sell or give) one card to a member; idempotent by key. Returns the new row.

    `stock_reserved`: a paid order (services.orders.card_sales) already took this card from stock and checked the sale
    when it was created, so it is issued without counting stock again, even if the card was stopped since.

    For a timed card the member already holds (active or pending) the returned row is the closed purchase
    record whose `extended_into_id` names the card that was lengthened (see the module docstring).
    """
    if channel not in CHANNELS:
        raise DomainError("未知的发放渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member, earlier = idempotency.lock_member_for_issue(session, merchant.id, member_id, Card, key, template_id)
    if earlier is not None:
        return earlier
    template = get_owned(session, CardTemplate, merchant.id, template_id)
    if template.kind not in KINDS:
        raise NotFound("记录不存在")
    if template.disabled and not stock_reserved:
        raise Conflict("该卡已停止发放")
    if not stock_reserved:
        card_templates.take_stock(session, template, "该卡已售罄")
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=template.kind, member_id=member.id,
                code=new_code(), channel=channel, idempotency_key=key, created_at=now,
                issued_by_id=issued_by.id if issued_by else None, price_paid=price_paid)
    if template.kind == COUNT:
        card.state, card.starts_at = ACTIVE, now
        card.ends_at = rules.count_end(now, template.valid_days, merchant.timezone)
        card.uses_total = card.uses_left = template.uses
    else:
        _fill_timed(session, card, template, member, tier_key, merchant.timezone, now)
    session.add(card)
    session.flush()
    notices.card_received(session, merchant, card, template.title, until_text(card.ends_at, merchant.timezone))
    return card


def _fill_timed(session, card, template, member, tier_key, tz_name, now):
    tier = rules.pick_tier(template.tiers, tier_key)
    card.tier_key, card.days, card.daily_limit = tier.key, tier.days, template.daily_limit
    if card.price_paid is None:
        card.price_paid = tier.price
    held = session.scalars(scoped(Card, template.merchant_id).where(
        Card.template_id == template.id, Card.member_id == member.id, Card.extended_into_id.is_(None),
        Card.state.in_((ACTIVE, PENDING)), or_(Card.ends_at.is_(None), Card.ends_at > now))
        .order_by(Card.id).with_for_update().execution_options(populate_existing=True)).first()
    if held is not None and rules.is_extendable(held.state, held.ends_at, now):
        held.days, held.ends_at = rules.extend(held.days, held.ends_at, tier.days)
        card.state, card.closed_at, card.extended_into_id = EXPIRED, now, held.id
        return
    start = rules.timed_start(template.start_mode, template.start_after_days, tier.days, now, tz_name)
    card.state, card.starts_at, card.ends_at = start.state, start.starts_at, start.ends_at
