"""The merchant's WeChat member card as they edit it (微信会员卡): title, brand, colour from WeChat's palette, logo,
notice, privileges, instructions, whether points and balance show on the card, and which member pages its entries
open. Every text is held to WeChat's limit (domain/wechat_member_card.py), so WeChat refuses a save only for what
it alone knows; each save is a new version, which services/wechat_cards/sync.py brings to WeChat."""
from sqlalchemy import func, select

from domain.clock import now_utc
from domain.errors import DomainError
from domain.wechat_member_card import CELLS, COLORS, DEFAULT_COLOR, LIMITS, MAX_CELLS, clip_text, text_fits
from models import WechatCardHolding, WechatMemberCard
from services.merchant import audit
from services.shared.uploads import image_type

LOGO_MAX_BYTES = 1024 * 1024  # WeChat's uploadimg takes a picture under 1 MB
DEFAULT_NOTICE = "使用时向店员出示此卡"
DEFAULT_PREROGATIVE = "会员尊享积分、储值与专属优惠"
DEFAULT_DESCRIPTION = "本卡仅限本人使用，最终解释权归商户所有"
TEXTS = (  # (field, label, limit in Chinese characters, required)
    ("title", "卡名称", LIMITS["title"], True),
    ("brand_name", "商户名称", LIMITS["brand_name"], True),
    ("notice", "使用提醒", LIMITS["notice"], True),
    ("prerogative", "特权说明", LIMITS["prerogative"], True),
    ("description", "使用说明", LIMITS["description"], True),
)
AUDITED = ("title", "brand_name", "color", "notice", "prerogative", "description", "supply_balance", "supply_bonus",
           "cells")


def card_for(session, merchant_id):
    """The merchant's card, or None before the first save."""
    return session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant_id)).one_or_none()


def defaults(merchant):
    """What the page shows before the first save: the shop's name on WeChat's green, with all four entries but the
    ones the balance and points already have on the card."""
    name = merchant.name or ""
    return {"title": clip_text(f"{name}会员卡", LIMITS["title"]) if text_fits(f"{name}会员卡", LIMITS["title"])
            else "会员卡", "brand_name": clip_text(name, LIMITS["brand_name"]) or "会员卡", "color": DEFAULT_COLOR,
            "notice": DEFAULT_NOTICE, "prerogative": DEFAULT_PREROGATIVE, "description": DEFAULT_DESCRIPTION,
            "supply_balance": True, "supply_bonus": True, "cells": ["coupons", "membership"]}


def save(session, actor, merchant, *, title, brand_name, color, notice, prerogative, description, supply_balance,
         supply_bonus, cells, logo=None):
    """Check and keep the card as a new version; `logo` is the bytes of a new picture, or None to keep the one
    there. DomainError (nothing changed) with a message per field when a value breaks WeChat's limits."""
    values = {"title": title, "brand_name": brand_name, "notice": notice, "prerogative": prerogative,
              "description": description}
    problems, clean = {}, {}
    for field, label, chars, required in TEXTS:
        value = (values[field] or "").strip()
        if "\x00" in value:
            problems[field] = f"{label}不能包含控制字符"
        elif required and not value:
            problems[field] = f"请填写{label}"
        elif not text_fits(value, chars):
            problems[field] = f"{label}最多 {chars} 个汉字（或 {chars * 3} 个英文字母）"
        clean[field] = value
    if color not in COLORS:
        problems["color"] = "请选择微信卡券的颜色"
    picked = list(dict.fromkeys(cells or ()))
    if any(key not in CELLS for key in picked):
        problems["cells"] = "请从列出的入口中选择"
    elif len(picked) > MAX_CELLS:
        problems["cells"] = f"微信会员卡最多 {MAX_CELLS} 个入口"
    if logo is not None:
        if len(logo) > LOGO_MAX_BYTES:
            problems["logo"] = "标志图片不能超过 1 MB"
        elif image_type(logo) is None:
            problems["logo"] = "请上传 JPG 或 PNG 格式的标志图片"
    if problems:
        raise DomainError("；".join(problems.values()), fields=problems)
    card = card_for(session, merchant.id)
    before = _snapshot(card) if card is not None else None
    if card is None:
        card = WechatMemberCard(merchant_id=merchant.id, version=0, synced_version=0, logo_version=0,
                                logo_synced_version=-1)
        session.add(card)
    card.title, card.brand_name, card.notice = clean["title"], clean["brand_name"], clean["notice"]
    card.prerogative, card.description, card.color = clean["prerogative"], clean["description"], color
    card.supply_balance, card.supply_bonus, card.cells = bool(supply_balance), bool(supply_bonus), picked
    card.version = (card.version or 0) + 1
    if logo is not None:
        card.logo_data, card.logo_version = logo, card.version
    card.updated_at = now_utc()
    session.flush()
    audit.record(session, actor, "wechat_card.save", "wechat_member_card", card.id, before=before,
                 after=_snapshot(card))
    return card


def values_of(card):
    """The saved card as the form's values."""
    return _snapshot(card)


def _snapshot(card):
    return {name: getattr(card, name) for name in AUDITED}


def sync_state(card):
    """'none' before the first save, 'synced' when WeChat has the newest version, 'failed' when WeChat refused it
    (sync_error says why), 'pending' when a save has not reached WeChat yet."""
    if card is None:
        return "none"
    if card.synced_version == card.version and card.card_id:
        return "synced"
    return "failed" if card.sync_error else "pending"


def holders(session, merchant_id):
    """How many cards members hold in their WeChat card packages: {"added": n, "activated": n}."""
    counts = dict(session.execute(select(WechatCardHolding.state, func.count()).where(
        WechatCardHolding.merchant_id == merchant_id, WechatCardHolding.state != "deleted")
        .group_by(WechatCardHolding.state)).all())
    return {"added": counts.get("added", 0), "activated": counts.get("activated", 0)}
