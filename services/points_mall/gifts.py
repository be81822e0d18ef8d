"""The merchant's gifts (赠品): saving one with its price per level and its picture, and the lists the back
office and the member's mall read."""
import os
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import or_

from domain import points_mall as rules
from domain.errors import Conflict, DomainError, NotFound
from models import PointsGift
from services.members.levels import list_levels
from services.merchant import audit
from services.points_mall import card_gifts
from services.shared import uploads
from services.shared.tenancy import get_owned, scoped

PHOTO_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class GiftValues:
    """What the back office form sends for a gift."""

    number: str
    name: str
    stock: int
    prices: dict  # {level_id: points}
    per_member_limit: int = 0
    pickup_days: int = 30
    description: Optional[str] = None
    starts_at: Optional[object] = None
    ends_at: Optional[object] = None
    active: bool = True
    card_template_id: Optional[int] = None  # a card the gift is (services/points_mall/card_gifts.py)
    card_tier_key: Optional[str] = None


def save(session, actor, gift_id, values, photo=None, upload_root=None):
    """Create (gift_id None) or edit a gift, audited. `photo`: new picture bytes (JPEG/PNG, ≤ 2 MB) or None to
    keep the one it has; the picture it replaces is removed from disk once the change commits."""
    gift = PointsGift(merchant_id=actor.merchant_id) if gift_id is None else \
        get_owned(session, PointsGift, actor.merchant_id, gift_id, lock=True)
    number, name = _text(values.number, rules.MAX_NUMBER, "编号"), _text(values.name, rules.MAX_NAME, "名称")
    description = (values.description or "").strip() or None
    if description and len(description) > rules.MAX_DESCRIPTION or "\x00" in (description or ""):
        raise DomainError(f"说明不能超过 {rules.MAX_DESCRIPTION} 字")
    _range(values.stock, 0, rules.MAX_STOCK, "库存")
    _range(values.per_member_limit, 0, rules.MAX_PER_MEMBER, "每人限兑")
    _range(values.pickup_days, 0, 3650, "领取期限天数")
    if values.starts_at and values.ends_at and values.ends_at <= values.starts_at:
        raise DomainError("结束时间须晚于开始时间")
    prices = rules.clean_prices(values.prices, [level.id for level in list_levels(session, actor.merchant_id)])
    card = card_gifts.check(session, actor.merchant_id, values.card_template_id, values.card_tier_key)
    clash = session.scalars(scoped(PointsGift, actor.merchant_id).where(PointsGift.number == number)).first()
    if clash is not None and clash is not gift:
        raise Conflict("礼品编号已存在")
    before = _snapshot(gift) if gift_id is not None else None
    gift.number, gift.name, gift.description = number, name, description
    gift.stock, gift.per_member_limit, gift.pickup_days = values.stock, values.per_member_limit, values.pickup_days
    gift.points_prices, gift.starts_at, gift.ends_at = prices, values.starts_at, values.ends_at
    gift.active = bool(values.active)
    gift.card_template_id, gift.card_tier_key = card
    if photo:
        stored = _store_photo(actor.merchant_id, photo, upload_root)
        uploads.replace(session, upload_root, gift.photo_path, stored)
        gift.photo_path = stored
    session.add(gift)
    session.flush()
    audit.record(session, actor, "points_gift.create" if gift_id is None else "points_gift.update", "points_gift",
                 gift.id, before=before, after=_snapshot(gift))
    return gift


def _text(value, limit, label):
    value = (value or "").strip()
    if not value:
        raise DomainError(f"请填写{label}")
    if len(value) > limit or "\x00" in value:
        raise DomainError(f"{label}不能超过 {limit} 字")
    return value


def _range(value, low, high, label):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(f"{label}须在 {low} 到 {high} 之间")


def _store_photo(merchant_id, data, upload_root):
    return uploads.store_image(upload_root, merchant_id, "gifts", data, max_bytes=PHOTO_MAX_BYTES, noun="图片")


def photo_file(session, merchant_id, gift_id, upload_root):
    """The gift picture's file path on disk; NotFound when it has none."""
    gift = get_owned(session, PointsGift, merchant_id, gift_id)
    if not gift.photo_path:
        raise NotFound("没有图片")
    return os.path.join(upload_root, gift.photo_path)


def _snapshot(gift):
    return {"number": gift.number, "name": gift.name, "stock": gift.stock, "prices": gift.points_prices,
            "per_member_limit": gift.per_member_limit, "active": gift.active,
            "card_template_id": gift.card_template_id, "card_tier_key": gift.card_tier_key}


def all_gifts(session, merchant_id):
    return session.scalars(scoped(PointsGift, merchant_id).order_by(PointsGift.active.desc(), PointsGift.id.desc())
                           ).all()


def on_offer(session, merchant_id, now):
    """Gifts a member may see now: active and within their dates (sold-out ones too, marked as such)."""
    return session.scalars(scoped(PointsGift, merchant_id).where(
        PointsGift.active.is_(True), or_(PointsGift.starts_at.is_(None), PointsGift.starts_at <= now),
        or_(PointsGift.ends_at.is_(None), PointsGift.ends_at > now)).order_by(PointsGift.id.desc())).all()


def get(session, merchant_id, gift_id):
    return get_owned(session, PointsGift, merchant_id, gift_id)
