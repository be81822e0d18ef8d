"""Benefit cards (权益卡): templates, issuing with a gift pack of coupons, refunds, and the benefits in force.

Issuing serialises on the member's row lock (one running card per template and member), takes stock with a
conditional update and is idempotent by key; the gift-pack coupons go through services.coupons.issue.claim with keys
derived from the card's key, so a retried issue grants the pack once. A refund is a conditional update
active -> refunded and may void the card's unused pack coupons in one conditional update.
"""
import hashlib

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from domain import benefit_cards as rules
from domain import cards as card_rules
from domain import coupons as code_rules
from domain.clock import now_utc, until_text
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from domain.money import MAX_FEN, format_yuan
from models import Card, CardRefund, CardTemplate, CouponCode, CouponTemplate, Member
from models.coupons import CHANNELS
from services.merchant import audit
from services.cards import templates as card_templates
from services.coupons import issue as coupon_issue
from services.shared import idempotency, merchant_memory
from services.shared.tenancy import get_owned, merchant_timezone, owned_ids, scoped
from services.shared.text import optional_text
from services.verification.lookup import Lookup

KIND = card_rules.BENEFIT
_AUDITED = ("title", "price", "stock_total", "valid_days", "discount_percent", "points_multiplier", "free_items",
            "gift_pack", "all_stores", "listed", "disabled")


# --- templates --------------------------------------------------------------------------------------------

def get_template(session, merchant_id, template_id, lock=False):
    """A benefit-card template of this merchant; another kind or another merchant's id is NotFound."""
    template = get_owned(session, CardTemplate, merchant_id, template_id, lock=lock)
    if template.kind != KIND:
        raise NotFound("记录不存在")
    return template


def templates(session, merchant_id, *, for_sale=False):
    query = scoped(CardTemplate, merchant_id).where(CardTemplate.kind == KIND)
    if for_sale:
        query = query.where(CardTemplate.disabled.is_(False))
    return session.scalars(query.order_by(CardTemplate.id.desc())).all()


def save_template(session, actor, template, **values):
    """Create (template=None) or update a benefit-card template of the actor's merchant."""
    before = audit.snapshot(template, _AUDITED) if template is not None else {}
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=KIND, stock_issued=0, listed=True,
                                disabled=False)
    card_templates.apply_text(template, values)
    template.cover_color = card_templates.cover_colour(values.get("cover_color"))
    template.price = _price(values.get("price"))
    template.stock_total = card_templates.check_stock(values.get("stock_total"), template.stock_issued or 0)
    template.valid_days = rules.check_valid_days(values.get("valid_days"))
    template.discount_percent = rules.check_discount(values.get("discount_percent"))
    template.points_multiplier = rules.check_multiplier(values.get("points_multiplier"))
    template.free_items = rules.check_free_items(values.get("free_items"))
    pack = rules.check_gift_pack(values.get("gift_pack"))
    owned_ids(session, CouponTemplate, actor.merchant_id, [e["template_id"] for e in pack])
    template.gift_pack = pack
    if not (template.discount_percent or (template.points_multiplier or 100) > 100 or template.free_items or pack):
        raise DomainError("请至少设置一项权益：折扣、积分倍数、免费项目或礼包")
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    session.add(template)
    session.flush()
    after = audit.snapshot(template, _AUDITED)
    if before:
        before, after = audit.changed_only(before, after)
    audit.record(session, actor, "benefit_card.save", "card_template", template.id, before or None, after)
    return template


def _price(value):
    if value is None or value == 0:
        return None  # free: claimed by link or QR
    if not 0 < value <= MAX_FEN:
        raise DomainError("售价须为正数；免费领取请留空")
    return value


def list_template(session, actor, template_id):
    return _set_flag(session, actor, template_id, "listed", True)


def delist_template(session, actor, template_id):
    return _set_flag(session, actor, template_id, "listed", False)


def disable(session, actor, template_id):
    """No new issues at all; cards already issued keep their benefits. A template in use is never deleted."""
    return _set_flag(session, actor, template_id, "disabled", True)


def enable(session, actor, template_id):
    return _set_flag(session, actor, template_id, "disabled", False)


def _set_flag(session, actor, template_id, name, value):
    template = get_template(session, actor.merchant_id, template_id, lock=True)
    before = getattr(template, name)
    if before != value:
        setattr(template, name, value)
        session.flush()
        audit.record(session, actor, f"benefit_card.{name}", "card_template", template.id, {name: before},
                     {name: value})
    return template


# --- issuing ----------------------------------------------------------------------------------------------

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
    member = get_owned(session, Member, merchant.id, member_id, lock=True)  # serialises this member's issues
    existing = idempotency.find_existing(session, Card, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, template_id=int(template_id), member_id=member.id)
    template = get_template(session, merchant.id, template_id)
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
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=KIND, member_id=member.id,
                code=code_rules.new_code(), state=card_rules.ACTIVE, channel=channel, idempotency_key=key,
                issued_by_id=issued_by.id if issued_by else None, starts_at=now,
                ends_at=rules.new_end(running.ends_at if running else None, now, template.valid_days),
                price_paid=price_paid, created_at=now)
    session.add(card)
    session.flush()
    if running is not None:
        _fold_into(session, running, card, now)
    _grant_pack(session, merchant, template, card, member.id, "purchase" if price_paid else channel, issued_by, now)
    if issued_by is not None:
        audit.record(session, issued_by, "benefit_card.issue", "card", card.id,
                     after={"template_id": template.id, "member_id": member.id, "price_paid": price_paid})
    session.flush()
    return card


def _running(session, merchant_id, template_id, member_id, now):
    """The member's card of this template still in force; a lapsed one is marked expired on the way."""
    cards = session.scalars(scoped(Card, merchant_id).where(Card.template_id == template_id,
                                                            Card.member_id == member_id,
                                                            Card.state == card_rules.ACTIVE)).all()
    for card in cards:
        if card.ends_at is not None and card.ends_at <= now:
            session.execute(update(Card).where(Card.id == card.id, Card.state == card_rules.ACTIVE)
                            .values(state=card_rules.move(KIND, card_rules.ACTIVE, card_rules.EXPIRED),
                                    closed_at=now).execution_options(synchronize_session=False))
            session.expire(card)
    return next((c for c in cards if c.ends_at is None or c.ends_at > now), None)


def _fold_into(session, old, new, now):
    """The running card ends here: its remaining days now live on the new card, which it points to."""
    done = session.execute(
        update(Card).where(Card.id == old.id, Card.state == card_rules.ACTIVE)
        .values(state=card_rules.move(KIND, card_rules.ACTIVE, card_rules.VOIDED), extended_into_id=new.id,
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
                                          key=f"bcpack:{root}:{entry['template_id']}:{n}", issued_by=issued_by, now=now)
            except Conflict as exc:
                title = session.get(CouponTemplate, entry["template_id"]).title
                raise Conflict(f"礼包中的「{title}」不能发放（{exc.message}），请联系商家") from None
            code.source_card_id = card.id
    session.flush()


# --- refunds ----------------------------------------------------------------------------------------------

def refund(session, actor, card_id, *, with_money, amount, take_back_coupons, reason, key, now=None):
    """Take a card back (owner/admin). The money itself moves through payments; here the amount is recorded."""
    if not actor.can("cards.refund"):
        raise PermissionDenied("只有店主或管理员可以退卡")
    idempotency.check_key(key)
    now = now or now_utc()
    existing = idempotency.find_existing(session, CardRefund, actor.merchant_id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, card_id=int(card_id))
    card = get_card(session, actor.merchant_id, card_id)
    amount = rules.check_refund_amount(with_money, amount, card.price_paid)
    reason = optional_text(reason, "退卡原因", 200)
    if card.state == card_rules.ACTIVE and card.ends_at is not None and card.ends_at <= now:
        raise Conflict("该权益卡已过期，不能退卡")
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == card_rules.ACTIVE)
        .values(state=card_rules.move(KIND, card_rules.ACTIVE, card_rules.REFUNDED), closed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        earlier = idempotency.find_existing(session, CardRefund, actor.merchant_id, key)
        if earlier is not None:  # the same request won concurrently
            return earlier
        session.expire(card)
        raise Conflict(f"该权益卡当前状态为「{state_text(card, now)}」，不能退卡")
    taken = 0
    if take_back_coupons:
        taken = session.execute(
            update(CouponCode).where(CouponCode.merchant_id == actor.merchant_id, CouponCode.source_card_id == card.id,
                                     CouponCode.state == code_rules.AVAILABLE)
            .values(state=code_rules.move(code_rules.AVAILABLE, code_rules.VOIDED))
            .execution_options(synchronize_session=False)).rowcount
    row = CardRefund(merchant_id=actor.merchant_id, card_id=card.id, member_id=card.member_id,
                     with_money=bool(with_money), amount=amount, coupons_taken_back=taken, reason=reason,
                     staff_id=actor.id, idempotency_key=key, created_at=now)
    session.add(row)
    session.flush()
    session.expire(card)
    audit.record(session, actor, "benefit_card.refund", "card", card.id, {"state": card_rules.ACTIVE},
                 {"state": card_rules.REFUNDED, "with_money": bool(with_money), "amount": amount,
                  "coupons_taken_back": taken})
    return row


def refunds(session, merchant_id, limit=500):
    """The newest refund records with their card, template, member and staff loaded for the list."""
    card = selectinload(CardRefund.card)
    return session.scalars(scoped(CardRefund, merchant_id)
                           .options(card.selectinload(Card.template), card.selectinload(Card.member),
                                    selectinload(CardRefund.staff))
                           .order_by(CardRefund.created_at.desc(), CardRefund.id.desc()).limit(limit)).all()


# --- reading ----------------------------------------------------------------------------------------------

def get_card(session, merchant_id, card_id):
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind != KIND:
        raise NotFound("记录不存在")
    return card


def holders(session, merchant_id, template_id):
    template = get_template(session, merchant_id, template_id)
    return template, session.scalars(scoped(Card, merchant_id).where(Card.template_id == template.id)
                                     .order_by(Card.created_at.desc(), Card.id.desc())).all()


def member_cards(session, merchant_id, member_id):
    """A member's benefit cards, newest first, each with the pack coupons it granted: [(card, [codes])]."""
    cards = session.scalars(scoped(Card, merchant_id).where(Card.member_id == member_id, Card.kind == KIND)
                            .order_by(Card.created_at.desc(), Card.id.desc())).all()
    codes = {}
    if cards:
        for code in session.scalars(scoped(CouponCode, merchant_id)
                                    .where(CouponCode.source_card_id.in_([c.id for c in cards]))
                                    .order_by(CouponCode.id)):
            codes.setdefault(code.source_card_id, []).append(code)
    return [(card, codes.get(card.id, [])) for card in cards]


def state_text(card, now=None):
    """The state as a member or staff member reads it; a lapsed card reads as expired before a job writes it."""
    now = now or now_utc()
    if card.state == card_rules.ACTIVE and card.ends_at is not None and card.ends_at <= now:
        return card_rules.state_label(KIND, card_rules.EXPIRED)
    if card.state == card_rules.VOIDED and card.extended_into_id is not None:
        return "已续期至新卡"
    return card_rules.state_label(KIND, card.state)


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


def active_benefits(session, member, now=None, store_id=None):
    """The best benefits of the member's cards in force now (optionally usable in one store).

    Empty once every card has expired, been refunded or voided: the member is back on their level's benefits.
    """
    now = now or now_utc()
    if not _merchant_has_benefit_cards(session, member.merchant_id):
        return rules.best_of([])  # every till payment asks; most merchants have none
    query = (select(CardTemplate).join(Card, Card.template_id == CardTemplate.id)
             .where(Card.merchant_id == member.merchant_id, Card.member_id == member.id, Card.kind == KIND,
                    Card.state == card_rules.ACTIVE, or_(Card.starts_at.is_(None), Card.starts_at <= now),
                    or_(Card.ends_at.is_(None), Card.ends_at > now)))
    grants = []
    for template in session.scalars(query).all():
        if store_id is not None and not card_templates.valid_in(template, store_id):
            continue
        grants.append(rules.Benefits(template.discount_percent, template.points_multiplier or 100,
                                     tuple(template.free_items or ())))
    return rules.best_of(grants)


merchant_memory.watch(CardTemplate, "has_benefit_cards")


def _merchant_has_benefit_cards(session, merchant_id):
    return merchant_memory.recall("has_benefit_cards", merchant_id, lambda: session.scalar(
        select(select(CardTemplate.id).where(CardTemplate.merchant_id == merchant_id, CardTemplate.kind == KIND)
               .exists())))


# --- staff page adapter -----------------------------------------------------------------------------------

class _BenefitCardInstrument:
    """Benefit cards as the staff page and the API see them (see services/verification/instruments.py).

    Their discounts and multipliers apply at checkout, so scanning one shows the card and its benefits
    and verifying it is refused with that explanation.
    """

    kind = "benefit_card"
    AT_CHECKOUT = "权益卡的折扣和积分倍数在收银结账时自动享受，无需逐次核销"

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind == KIND)).one_or_none()

    def describe(self, session, card, store_id, now):
        template = card.template
        tz = merchant_timezone(session, card.merchant_id)
        details = benefit_lines(session, template) + [("有效期至", until_text(card.ends_at, tz))]
        if not template.all_stores:
            details.append(("适用门店", "、".join(s.name for s in template.stores)))
        in_force = rules.in_force(card.state, card.starts_at, card.ends_at, now)
        if not in_force:
            reason = f"该权益卡{state_text(card, now)}"
        elif store_id is not None and not card_templates.valid_in(template, store_id):
            reason = "该权益卡不适用于本门店"
        else:
            reason = self.AT_CHECKOUT
        return Lookup(kind=self.kind, kind_label=card_rules.KIND_LABELS[KIND], id=card.id, code=card.code,
                      title=template.title, state=card.state, state_label=state_text(card, now), reason=reason,
                      member=card.member, details=details)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        get_card(session, actor.merchant_id, row_id)
        raise Conflict(self.AT_CHECKOUT)

    def undo(self, session, staff, record, now):
        raise Conflict("权益卡没有核销记录可撤销")

    def held_by(self, session, member, store_id, now):
        cards = session.scalars(scoped(Card, member.merchant_id)
                                .where(Card.member_id == member.id, Card.kind == KIND,
                                       Card.state == card_rules.ACTIVE,
                                       or_(Card.ends_at.is_(None), Card.ends_at > now))
                                .order_by(Card.id)).all()
        return [self.describe(session, card, store_id, now) for card in cards]


INSTRUMENT = _BenefitCardInstrument()
