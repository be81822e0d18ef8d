"""Issuing a benefit card to a member, with its gift pack of coupons; a second purchase of a card still in force
extends it. A paid membership plan's card also gives its level (services/cards/membership_levels.py).

Issuing serialises on the member's row lock (one running card per template and member), takes stock with a
conditional update and is idempotent by key; the gift-pack coupons go through services.coupons.issue.claim with keys
derived from the card's key, so a retried issue grants the pack once.
"""
import hashlib

from sqlalchemy import update

from domain import benefit_cards as rules
from domain import cards as card_rules
from domain import coupons as code_rules
from domain.cards import BENEFIT
from domain.clock import now_utc, until_text
from domain.errors import Conflict, DomainError
from domain.money import MAX_FEN
from models import Card, CouponTemplate
from models.coupons import CHANNELS
from services.cards import benefit_templates, membership_levels
from services.cards import templates as card_templates
from services.coupons import issue as coupon_issue
from services.merchant import audit
from services.shared import idempotency
from services.shared.tenancy import scoped
from services.wechat import notices


def issue(session, merchant, template_id, member_id, *, channel, key, issued_by=None, price_paid=None,
          stock_reserved=False, now=None):
    """Give a member a benefit card and its gift pack. A second purchase of a running card extends it.

    `stock_reserved`: a paid order (services.orders.card_sales) already took the card from stock and checked the sale
    when it was created; the card is issued without counting stock again, even if it was stopped since.
    """
    if channel not in CHANNELS:
        raise DomainError("未知的领取渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member, earlier = idempotency.lock_member_for_issue(session, merchant.id, member_id, Card, key, template_id)
    if earlier is not None:
        return earlier
    template = benefit_templates.get_template(session, merchant.id, template_id)
    if template.disabled and not stock_reserved:
        raise Conflict("该权益卡已停用")
    if not template.listed and not stock_reserved:
        raise Conflict("该权益卡已售罄")
    if price_paid is not None and not 0 <= price_paid <= MAX_FEN:
        raise DomainError("实收金额不正确")
    running = _running(session, merchant.id, template.id, member.id, now)
    if running is not None and template.price is None:
        raise Conflict("您已领取该权益卡，无需重复领取")
    if running is not None and running.ends_at is None:
        raise Conflict("您已持有该权益卡，长期有效")
    if not stock_reserved:
        card_templates.take_stock(session, template, "该权益卡已售罄")
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=BENEFIT, member_id=member.id,
                code=code_rules.new_code(), state=card_rules.ACTIVE, channel=channel, idempotency_key=key,
                issued_by_id=issued_by.id if issued_by else None, starts_at=now,
                ends_at=rules.new_end(running.ends_at if running else None, now, template.valid_days),
                price_paid=price_paid, created_at=now)
    session.add(card)
    session.flush()
    if running is not None:
        _fold_into(session, running, card, now)
    _grant_pack(session, merchant, template, card, member.id, "purchase" if price_paid else channel, issued_by, now)
    if template.membership:
        membership_levels.started(session, member, template)
    if issued_by is not None:
        audit.record(session, issued_by, "benefit_card.issue", "card", card.id,
                     after={"template_id": template.id, "member_id": member.id, "price_paid": price_paid})
    session.flush()
    notices.card_received(session, merchant, card, template.title, until_text(card.ends_at, merchant.timezone))
    return card


def _running(session, merchant_id, template_id, member_id, now):
    """The member's card of this template still in force; a lapsed one is marked expired on the way."""
    cards = session.scalars(scoped(Card, merchant_id).where(Card.template_id == template_id,
                                                            Card.member_id == member_id,
                                                            Card.state == card_rules.ACTIVE)).all()
    for card in cards:
        if card.ends_at is not None and card.ends_at <= now:
            session.execute(update(Card).where(Card.id == card.id, Card.state == card_rules.ACTIVE)
                            .values(state=card_rules.move(BENEFIT, card_rules.ACTIVE, card_rules.EXPIRED),
                                    closed_at=now).execution_options(synchronize_session=False))
            session.expire(card)
    return next((c for c in cards if c.ends_at is None or c.ends_at > now), None)


def _fold_into(session, old, new, now):
    """The running card ends here: its remaining days now live on the new card, which it points to."""
    done = session.execute(
        update(Card).where(Card.id == old.id, Card.state == card_rules.ACTIVE)
        .values(state=card_rules.move(BENEFIT, card_rules.ACTIVE, card_rules.VOIDED), extended_into_id=new.id,
                closed_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("原权益卡状态已变化，请刷新后重试")
    session.expire(old)


def _grant_pack(session, merchant, template, card, member_id, channel, issued_by, now):
    # Keys come from a digest of the card's key, so they stay within the key limit whatever its length.
    root = hashlib.sha256(card.idempotency_key.encode()).hexdigest()[:40]
    for entry in template.gift_pack or ():
        for n in range(entry["count"]):
            try:
                code = coupon_issue.claim(session, merchant, entry["template_id"], member_id, channel=channel,
                                          key=f"bcpack:{root}:{entry['template_id']}:{n}", issued_by=issued_by, now=now,
                                          notify=False)
            except Conflict as exc:
                title = session.get(CouponTemplate, entry["template_id"]).title
                raise Conflict(f"礼包中的「{title}」不能发放（{exc.message}），请联系商家") from None
            code.source_card_id = card.id
    session.flush()
