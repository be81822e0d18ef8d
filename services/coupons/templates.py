"""Coupon templates: what a coupon gives (cash off, discount, gift, groupon, ticket), its stock and per-member
limit, the weekdays and hours it is usable, its validity, the stores that take it, and how it is offered (free
claim, sale price, points prices by level)."""
from domain import coupons as rules
from domain.clock import now_utc
from domain.errors import DomainError
from domain.money import MAX_FEN
from models import CouponTemplate, Level, Store
from services.shared.tenancy import get_owned, owned_ids
from services.shared.text import optional_text, required_text

MAX_POINTS_PRICE = 100_000_000


def save_template(session, actor, template, **values):
    """Create (template=None) or update a coupon template of the actor's merchant."""
    kind = values.get("kind", template.kind if template else None)
    if kind not in rules.KINDS:
        raise DomainError("未知的券类型")
    if template is None:
        template = CouponTemplate(merchant_id=actor.merchant_id, kind=kind, stock_issued=0)
        session.add(template)
    template.title = required_text(values.get("title"), "券名称", 40)
    template.notes = optional_text(values.get("notes"), "使用说明", 1000)
    _apply_benefit(template, kind, values)
    _apply_limits(template, values)
    _apply_validity(template, values)
    store_ids = values.get("store_ids") or ()
    template.all_stores = not store_ids
    template.stores = owned_ids(session, Store, actor.merchant_id, store_ids)
    template.shareable = bool(values.get("shareable", False))
    template.free_claim = bool(values.get("free_claim", True))
    if "price" in values:
        template.price = _sale_price(values["price"])
    if "points_prices" in values:
        template.points_prices = _points_prices(session, actor.merchant_id, values["points_prices"])
    template.active = bool(values.get("active", True))
    session.flush()
    return template


def validity(template):
    """The template's validity rule, as domain.coupons.window reads it."""
    return rules.Validity(template.validity_mode, template.valid_from, template.valid_until, template.valid_days,
                          template.valid_after_days or 0)


def _sale_price(value):
    """Fen the member pays through the payment flow; None when the coupon is not sold."""
    if value is None:
        return None
    if not isinstance(value, int) or not 0 < value <= MAX_FEN:
        raise DomainError("售价须大于 0 且不超过上限")
    return value


def _apply_benefit(template, kind, values):
    template.kind = kind
    template.amount_off = values.get("amount_off")
    template.min_spend = values.get("min_spend")
    template.discount_percent = values.get("discount_percent")
    template.discount_cap = values.get("discount_cap")
    template.gift_item = optional_text(values.get("gift_item"), "兑换内容", 60)
    template.event_starts_at = values.get("event_starts_at")
    if kind == "cash" and not (template.amount_off and template.amount_off > 0):
        raise DomainError("代金券须设置减免金额")
    if kind == "discount" and not (template.discount_percent and 1 <= template.discount_percent <= 99):
        raise DomainError("折扣券须设置 0.1 到 9.9 折")
    if kind in ("gift", "groupon") and not template.gift_item:
        raise DomainError("兑换券和团购券须填写兑换内容")
    if kind == "ticket" and template.event_starts_at is None:
        raise DomainError("门票须设置场次时间")


def _apply_limits(template, values):
    stock, limit = values.get("stock_total"), values.get("per_member_limit")
    if stock is not None and not (0 < stock <= 10_000_000 and stock >= (template.stock_issued or 0)):
        raise DomainError("库存须为正数，且不少于已发放数量")
    if limit is not None and not 0 < limit <= 1000:
        raise DomainError("每人限领须在 1 到 1000 之间")
    template.stock_total, template.per_member_limit = stock, limit
    weekdays = sorted({int(d) for d in values.get("weekdays") or ()})
    if any(d not in range(7) for d in weekdays):
        raise DomainError("可用星期不正确")
    start, end = values.get("start_minute"), values.get("end_minute")
    if (start is None) != (end is None) or (start is not None and not 0 <= start < end <= 1440):
        raise DomainError("可用时段不正确")
    template.weekdays, template.start_minute, template.end_minute = weekdays, start, end


def _points_prices(session, merchant_id, raw):
    """{str(level_id): points} for the merchant's levels given a positive price; blank or 0 = may not exchange."""
    prices = {}
    for level_id, value in (raw or {}).items():
        if value in (None, "", 0):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_POINTS_PRICE:
            raise DomainError("兑换积分须为正整数")
        prices[str(get_owned(session, Level, merchant_id, level_id).id)] = value
    return prices


def _apply_validity(template, values):
    template.validity_mode = values.get("validity_mode", "relative")
    template.valid_from, template.valid_until = values.get("valid_from"), values.get("valid_until")
    template.valid_days, template.valid_after_days = values.get("valid_days"), values.get("valid_after_days") or 0
    rules.window(validity(template), now_utc(), "UTC")  # refuses an impossible rule now, not at claim time
