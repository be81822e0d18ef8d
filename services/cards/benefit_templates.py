"""Benefit card (权益卡) templates: what a card grants (discount, points multiplier, free items, a gift pack of
coupons), its price, stock and validity, and whether it is listed for sale or stopped; every change is audited."""
from domain import benefit_cards as rules
from domain.cards import BENEFIT
from domain.errors import DomainError, NotFound
from domain.money import MAX_FEN
from models import CardTemplate, CouponTemplate
from services.cards import templates as card_templates
from services.merchant import audit
from services.shared.tenancy import get_owned, owned_ids, scoped

_AUDITED = ("title", "price", "stock_total", "valid_days", "discount_percent", "points_multiplier", "free_items",
            "gift_pack", "all_stores", "listed", "disabled")


def get_template(session, merchant_id, template_id, lock=False):
    """A benefit-card template of this merchant; another kind or another merchant's id is NotFound."""
    template = get_owned(session, CardTemplate, merchant_id, template_id, lock=lock)
    if template.kind != BENEFIT:
        raise NotFound("记录不存在")
    return template


def templates(session, merchant_id, *, for_sale=False):
    query = scoped(CardTemplate, merchant_id).where(CardTemplate.kind == BENEFIT)
    if for_sale:
        query = query.where(CardTemplate.disabled.is_(False))
    return session.scalars(query.order_by(CardTemplate.id.desc())).all()


def save_template(session, actor, template, **values):
    """Create (template=None) or update a benefit-card template of the actor's merchant."""
    before = audit.snapshot(template, _AUDITED) if template is not None else {}
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=BENEFIT, stock_issued=0, listed=True,
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
