"""What members and staff read about a benefit card, in Chinese: its state (a lapsed card reads as expired before a
job writes it), what it grants, its price."""
from sqlalchemy import select

from domain import cards as card_rules
from domain.cards import BENEFIT
from domain.clock import now_utc
from domain.money import format_yuan
from models import CouponTemplate


def state_text(card, now=None):
    """The state as a member or staff member reads it; a lapsed card reads as expired before a job writes it."""
    now = now or now_utc()
    if card.state == card_rules.ACTIVE and card.ends_at is not None and card.ends_at <= now:
        return card_rules.state_label(BENEFIT, card_rules.EXPIRED)
    if card.state == card_rules.VOIDED and card.extended_into_id is not None:
        return "已续期至新卡"
    return card_rules.state_label(BENEFIT, card.state)


def benefit_lines(session, template):
    """[(label, text)] of what the card grants, in Chinese."""
    lines = []
    if template.discount_percent:
        lines.append(("折扣", f"{_tenths(template.discount_percent)}折"))
    if template.points_multiplier and template.points_multiplier > 100:
        lines.append(("积分", f"{times_text(template.points_multiplier)}倍积分"))
    if template.free_items:
        lines.append(("免费项目", "；".join(template.free_items)))
    if template.gift_pack:
        titles = dict(session.execute(select(CouponTemplate.id, CouponTemplate.title).where(
            CouponTemplate.merchant_id == template.merchant_id,
            CouponTemplate.id.in_([e["template_id"] for e in template.gift_pack]))).all())
        lines.append(("礼包", "、".join(f"{titles.get(e['template_id'], '优惠券')} ×{e['count']}"
                                      for e in template.gift_pack)))
    return lines


def _tenths(value):
    whole, part = divmod(int(value), 10)
    return f"{whole}.{part}" if part else str(whole)


def times_text(percent):
    """150 -> '1.5', 200 -> '2', 125 -> '1.25'."""
    whole, part = divmod(int(percent), 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


def price_text(template):
    return "免费" if template.price is None else f"¥{format_yuan(template.price)}"
