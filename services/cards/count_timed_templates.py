"""Count card (次卡) and timed card (时长卡) templates: what a count card holds (uses, service, validity, price) and
what a timed card sells (tiers of days and price, when its window starts, a daily limit, the member's photo)."""
from domain import timed_cards as rules
from domain.cards import COUNT, TIMED
from domain.errors import DomainError
from models import CardTemplate
from services.cards import templates as card_templates
from services.shared.text import optional_text

KINDS = (COUNT, TIMED)


def save_template(session, actor, template, **values):
    """Create (template=None) or update a count or timed card template of the actor's merchant."""
    kind = values.get("kind", template.kind if template else None)
    if kind not in KINDS:
        raise DomainError("未知的卡类型")
    if template is not None and template.kind != kind:
        raise DomainError("已创建的卡不能更改类型")
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=kind, stock_issued=0)
        session.add(template)
    card_templates.apply_text(template, values)
    template.cover_color = card_templates.cover_colour(values.get("cover_color"))
    template.stock_total = card_templates.check_stock(values.get("stock_total"), template.stock_issued or 0)
    template.disabled = bool(values.get("disabled", False))
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    if kind == COUNT:
        _apply_count(template, values)
    else:
        _apply_timed(template, values)
    session.flush()
    return template


def _apply_count(template, values):
    uses, service_name = values.get("uses"), optional_text(values.get("service_name"), "服务项目", 60)
    rules.check_count_rules(uses, service_name)
    valid_days, price = values.get("valid_days"), values.get("price")
    if valid_days is not None and not 0 < valid_days <= rules.MAX_DAYS:
        raise DomainError(f"有效天数须在 1 到 {rules.MAX_DAYS} 之间，留空表示长期有效")
    if price is not None and price < 0:
        raise DomainError("价格不能为负数")
    template.uses, template.service_name, template.valid_days, template.price = uses, service_name, valid_days, price
    template.tiers, template.daily_limit, template.photo_required = [], None, False


def _apply_timed(template, values):
    tiers = rules.clean_tiers(values.get("tiers") or ())
    start_mode, after = values.get("start_mode") or rules.FIRST_USE, values.get("start_after_days") or 0
    daily_limit = values.get("daily_limit")
    rules.check_timed_rules(start_mode, after, daily_limit)
    template.tiers = [tier.as_json() for tier in tiers]
    template.start_mode, template.start_after_days = start_mode, after if start_mode == rules.AFTER_DAYS else 0
    template.daily_limit, template.photo_required = daily_limit, bool(values.get("photo_required", False))
    template.price = min(tier.price for tier in tiers)  # "from" price for listings; each sale pays its tier
    template.uses, template.service_name, template.valid_days = None, None, None
