"""Benefit card (权益卡) templates: what a card grants (discount, points multiplier, free items, a gift pack of
coupons), its price, stock and validity, and whether it is listed for sale or stopped; every change is audited.
A paid membership plan (付费会员) is one of these with `membership` set at creation and the levels it gives and
returns to (services/cards/membership_plans.py)."""
from domain import benefit_cards as rules
from domain import membership as membership_rules
from domain.cards import BENEFIT
from domain.errors import DomainError, NotFound
from domain.money import MAX_FEN
from models import CardTemplate, CouponTemplate, Level
from services.cards import templates as card_templates
from services.merchant import audit
from services.shared.tenancy import checked_id, get_owned, owned_ids, scoped

_AUDITED = ("title", "price", "stock_total", "valid_days", "discount_percent", "points_multiplier", "free_items",
            "gift_pack", "all_stores", "listed", "disabled", "membership_level_id", "after_expiry_level_id")


def get_template(session, merchant_id, template_id, lock=False):
    """A benefit-card template of this merchant; another kind or another merchant's id is NotFound."""
    template = get_owned(session, CardTemplate, merchant_id, template_id, lock=lock)
    if template.kind != BENEFIT:
        raise NotFound("记录不存在")
    return template


def templates(session, merchant_id, *, for_sale=False, membership=False):
    """Benefit cards, or with `membership` the paid membership plans: never both in one list."""
    query = scoped(CardTemplate, merchant_id).where(CardTemplate.kind == BENEFIT,
                                                    CardTemplate.membership.is_(bool(membership)))
    if for_sale:
        query = query.where(CardTemplate.disabled.is_(False))
    return session.scalars(query.order_by(CardTemplate.id.desc())).all()


def save_template(session, actor, template, *, membership=False, membership_level_id=None, after_expiry_level_id=None,
                  **values):
    """Create (template=None) or update a benefit-card template of the actor's merchant; `membership` makes a new
    one a paid membership plan (an existing template keeps what it is)."""
    before = audit.snapshot(template, _AUDITED) if template is not None else {}
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=BENEFIT, stock_issued=0, listed=True,
                                disabled=False, membership=bool(membership))
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
    _membership_levels(session, actor.merchant_id, template, membership_level_id, after_expiry_level_id)
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    session.add(template)
    session.flush()
    after = audit.snapshot(template, _AUDITED)
    if before:
        before, after = audit.changed_only(before, after)
    action = "membership.save" if template.membership else "benefit_card.save"
    audit.record(session, actor, action, "card_template", template.id, before or None, after)
    return template


def _membership_levels(session, merchant_id, template, level_id, after_expiry_level_id):
    """A plan's terms: a price, an end, and levels of this merchant; an ordinary benefit card gives no level."""
    if not template.membership:
        template.membership_level_id = template.after_expiry_level_id = None
        return
    membership_rules.check_plan(template.price, template.valid_days, level_id, after_expiry_level_id)
    owned_ids(session, Level, merchant_id, [checked_id(i) for i in (level_id, after_expiry_level_id) if i is not None])
    template.membership_level_id, template.after_expiry_level_id = level_id, after_expiry_level_id


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
