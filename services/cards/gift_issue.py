"""Issuing an electronic gift card to a member (given by staff, or bought through an order): the card row and its
wallet credited with the face value, what was paid as principal and the rest as bonus.

A card's balance sits on its own wallet of kind 'gift_card' and moves only through the stored-value journal.
"""
from domain import cards as card_rules
from domain import coupons as code_rules
from domain.cards import GIFT
from domain.clock import now_utc, until_text
from domain.errors import DomainError
from models import Card, Member
from models.coupons import CHANNELS
from services.cards import gift_templates
from services.cards import templates as card_templates
from services.shared import idempotency
from services.shared.tenancy import get_owned
from services.wallet import journal as wallet
from services.wechat import notices


def issue_electronic(session, merchant, template_id, member_id, *, face_value, theme, channel, key, issued_by=None,
                     price_paid=None, stock_reserved=False, now=None):
    """An active card for a member, its wallet credited: what was paid as principal, the rest as bonus.

    A free card is all bonus (a marketing cost); a card sold below face value is principal up to the price.
    `stock_reserved`: the card was already counted on the template when its order was created
    (services/orders/gift_card_sales), so it is not taken from stock a second time.
    """
    if channel not in CHANNELS:
        raise DomainError("未知的发放渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id)
    existing = idempotency.find_existing(session, Card, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, template_id=int(template_id), member_id=member.id,
                                               face_value=face_value)
    template = gift_templates.gift_template(session, merchant.id, template_id)
    if not stock_reserved:  # a paid order was checked when priced: a later edit of the template cannot undo the sale
        theme = gift_templates.check_issue(template, face_value, theme)
    if price_paid is not None and not 0 <= price_paid <= face_value:
        raise DomainError("实付金额不能超过面值")
    if not stock_reserved:
        card_templates.take_stock(session, template, "礼品卡已售罄")  # counts electronic cards issued (sold or given)
    purse = wallet.gift_card_wallet(session, merchant.id)
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=GIFT, member_id=member.id,
                code=code_rules.new_code(), state=card_rules.ACTIVE, channel=channel, idempotency_key=key,
                issued_by_id=issued_by.id if issued_by else None, face_value=face_value, theme=theme,
                wallet_id=purse.id, activated_at=now, ends_at=gift_templates.ends_at(template, now),
                price_paid=price_paid, created_at=now)
    session.add(card)
    session.flush()
    principal = price_paid or 0
    wallet.credit(session, merchant.id, purse.id, principal, face_value - principal,
                  key=f"gift-issue:{card.id}", reference=("gift_card", card.id), operator=issued_by,
                  note="礼品卡购买" if price_paid is not None else "赠送礼品卡")
    notices.card_received(session, merchant, card, template.title, until_text(card.ends_at, merchant.timezone))
    return card
