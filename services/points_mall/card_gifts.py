"""Cards in the points mall (积分商城, issue 23: "coupons and cards can be listed beside gifts"): a gift may be a
count card, a timed card of one tier or a benefit card. It keeps everything a gift has (stock, price per level,
dates, per-member limit), and its exchange puts the card into the member's card package in the same transaction
(channel points_exchange, nothing paid in money), so there is nothing to pick up: the exchange is handed over at
once and cannot be cancelled for the points. Stored-value gift cards and paid memberships are not offered for
points."""
from dataclasses import dataclass

from domain import cards as card_rules
from domain.errors import DomainError
from models import Card, CardTemplate
from services.cards import benefit_issue, count_timed_issue
from services.shared.tenancy import get_owned, scoped

KINDS = (card_rules.COUNT, card_rules.TIMED, card_rules.BENEFIT)
KIND_WORDS = {card_rules.COUNT: "次卡", card_rules.TIMED: "时长卡", card_rules.BENEFIT: "权益卡"}


@dataclass(frozen=True)
class Choice:
    value: str  # "<template id>" or "<template id>:<tier key>" (value_of, parse)
    label: str
    kind: str
    template_id: int
    title: str


def choices(session, merchant_id):
    """The cards a gift may be: each usable count and benefit card, and each tier of each timed card."""
    found = []
    for template in session.scalars(scoped(CardTemplate, merchant_id).where(
            CardTemplate.kind.in_(KINDS), CardTemplate.disabled.is_(False)).order_by(CardTemplate.id)):
        if template.kind == card_rules.BENEFIT and template.membership:
            continue
        word = KIND_WORDS[template.kind]
        if template.kind == card_rules.TIMED:
            found += [Choice(value_of(template.id, tier["key"]), f"{word}·{template.title}（{tier['label']}）",
                             template.kind, template.id, template.title) for tier in template.tiers or ()]
        else:
            found.append(Choice(value_of(template.id, None), f"{word}·{template.title}", template.kind, template.id,
                                template.title))
    return found


def value_of(template_id, tier_key):
    """A gift's card as one form value ("" for a gift picked up in a store); `parse` reads it back."""
    if template_id is None:
        return ""
    return f"{template_id}:{tier_key}" if tier_key else str(template_id)


def parse(value):
    """(template id, tier key) from a choice's value; (None, None) for a plain gift; DomainError when unreadable."""
    value = (value or "").strip()
    if not value:
        return None, None
    number, _sep, tier = value.partition(":")
    if not number.isdigit() or len(number) > 9 or len(tier) > 20:
        raise DomainError("请选择要发放的卡")
    return int(number), tier or None


def check(session, merchant_id, template_id, tier_key):
    """The card a gift names, checked: the merchant's own count, timed (with one of its tiers) or benefit card,
    not a paid membership. Returns (template id, tier key) to store."""
    if template_id is None:
        return None, None
    template = get_owned(session, CardTemplate, merchant_id, template_id)
    if template.kind not in KINDS or (template.kind == card_rules.BENEFIT and template.membership):
        raise DomainError("积分商城只能发放次卡、时长卡或权益卡")
    if template.kind != card_rules.TIMED:
        return template.id, None
    if tier_key not in {tier["key"] for tier in template.tiers or ()}:
        raise DomainError("请选择时长卡的档位")
    return template.id, tier_key


def issue(session, merchant, gift, member_id, *, key, now):
    """The gift's card for the member, from the card's own stock too (a stopped or sold-out card refuses the whole
    exchange); paid in points, so its refund gives no money back. Idempotent by key."""
    template = get_owned(session, CardTemplate, merchant.id, gift.card_template_id)
    if template.kind == card_rules.BENEFIT:
        return benefit_issue.issue(session, merchant, template.id, member_id, channel="points_exchange", key=key,
                                   price_paid=0, now=now)
    return count_timed_issue.issue(session, merchant, template.id, member_id, channel="points_exchange", key=key,
                                   tier_key=gift.card_tier_key, price_paid=0, now=now)


def held_card(session, merchant_id, member_id, card_id):
    """The card an exchange issued, while the member still holds it (None for a gift, or a card given away)."""
    if card_id is None:
        return None
    return session.scalars(scoped(Card, merchant_id).where(Card.id == card_id, Card.member_id == member_id)).first()
