"""A member binds a physical gift card in H5 with its card number and PIN, tries counted per hour; a card of an
'auto' template is active at once, one of a 'phone' template waits for an SMS code to the member's phone."""
import hmac

from sqlalchemy import func, insert, select, text

from domain import cards as card_rules
from domain import gift_cards as rules
from domain.cards import GIFT
from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from models import AuditLog, Card, Member
from services.cards import gift_holdings, gift_states, gift_templates
from services.members import sms_codes
from services.shared.tenancy import get_owned, scoped
from services.wallet import journal as wallet

SMS_PURPOSE = "gift_activate"
PIN_TRY_ACTION = "gift_card.pin_try"


class WrongPin(DomainError):
    """The PIN did not match. The try is already counted on its own connection, so the refusal keeps it."""

    code = "gift_card_wrong_pin"


def bind(session, merchant, member_id, typed_card_no, typed_pin, *, now=None):
    """A member binds a physical card by number + PIN: 'auto' activates it, 'phone' leaves it claimed."""
    now = now or now_utc()
    number, pin = rules.normalise_card_no(typed_card_no), rules.normalise_pin(typed_pin)
    member = get_owned(session, Member, merchant.id, member_id)
    card = session.scalars(scoped(Card, merchant.id).where(Card.card_no == number, Card.kind == GIFT)).one_or_none()
    if card is None:
        raise DomainError("卡号或密码不正确")
    left = _reserve_pin_try(session, card, now)
    if not card.pin or not hmac.compare_digest(card.pin, pin):
        raise WrongPin(f"卡号或密码不正确，还可尝试 {left} 次" if left else "密码错误次数过多，请 1 小时后再试",
                       tries_left=left)
    if card.member_id == member.id and card.state in (card_rules.CLAIMED, card_rules.ACTIVE):
        return card  # a double submit: the first one bound it
    if card.state != card_rules.INACTIVE:
        raise Conflict("该卡已被绑定或已作废")
    template = card.template
    if template.activation == "auto":
        return _activate(session, card, card_rules.INACTIVE, now, member_id=member.id)
    gift_states.move(session, card, card_rules.INACTIVE, card_rules.CLAIMED, member_id=member.id)
    return card


def _reserve_pin_try(session, card, now):
    """Count one try on a connection of its own (committed at once); refuse past the hourly limit.

    Returns how many tries are left after this one. Tries are audit-log rows so the merchant sees them too.
    """
    since = now - rules.PIN_TRY_WINDOW
    with session.get_bind().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"gift-pin:{card.id}"})
        tries = connection.execute(
            select(func.count(AuditLog.id)).where(AuditLog.merchant_id == card.merchant_id,
                                                  AuditLog.action == PIN_TRY_ACTION,
                                                  AuditLog.target_type == "card", AuditLog.target_id == str(card.id),
                                                  AuditLog.created_at > since)
        ).scalar_one()
        if tries >= rules.PIN_TRIES_PER_HOUR:
            raise Conflict("密码错误次数过多，请 1 小时后再试")
        connection.execute(insert(AuditLog).values(merchant_id=card.merchant_id, staff_id=None, action=PIN_TRY_ACTION,
                                                   target_type="card", target_id=str(card.id), created_at=now))
    return rules.PIN_TRIES_PER_HOUR - tries - 1


def send_activation_code(session, merchant, member, card_id, *, ip=None, now=None):
    card = gift_holdings.member_card(session, merchant.id, member.id, card_id)
    if card.state != card_rules.CLAIMED:
        raise Conflict("该卡无需短信激活")
    return sms_codes.request_code(session, merchant, member.mobile, ip=ip, purpose=SMS_PURPOSE, now=now)


def activate_by_sms(session, merchant, member, card_id, code, *, now=None):
    """A claimed card becomes active once the member proves their phone with a code sent to it."""
    now = now or now_utc()
    card = gift_holdings.member_card(session, merchant.id, member.id, card_id)
    if card.state != card_rules.CLAIMED:
        raise Conflict("该卡无需短信激活")
    sms_codes.verify(session, merchant.id, member.mobile, code, purpose=SMS_PURPOSE, now=now)
    return _activate(session, card, card_rules.CLAIMED, now)


def _activate(session, card, current, now, **extra):
    """current -> active with a new wallet credited the face value (a physical card was paid for)."""
    purse = wallet.gift_card_wallet(session, card.merchant_id)
    gift_states.move(session, card, current, card_rules.ACTIVE, wallet_id=purse.id, activated_at=now,
                     ends_at=gift_templates.ends_at(card.template, now), **extra)
    wallet.credit(session, card.merchant_id, purse.id, card.face_value, 0, key=f"gift-activate:{card.id}",
                  reference=("gift_card", card.id), note="礼品卡激活")
    return card
