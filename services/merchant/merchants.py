"""Merchants (tenants) and their settings."""
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from domain import points as points_rules
from domain.clock import DEFAULT_TIMEZONE
from domain.errors import Conflict, DomainError, NotFound
from models import Merchant
from services.merchant import audit
from services.shared import merchant_memory, plain_rows

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
SETTINGS_FIELDS = ("name", "timezone", "points_expiry_mode", "points_expiry_days")
CREDENTIAL_FIELDS = ("wechat_app_id", "wechat_app_secret", "wechat_token", "wechat_aes_key",
                     "alipay_app_id", "alipay_private_key", "alipay_public_key")
APP_ID_FIELDS = ("wechat_app_id", "alipay_app_id")
SECRET_FIELDS = ("wechat_app_secret", "wechat_token", "wechat_aes_key", "alipay_private_key")


merchant_memory.watch(Merchant, "merchant", owner="id")


def remembered(session, merchant_id):
    """The merchant row for a till request: from this process's memory (services/shared/merchant_memory.py) when it can,
    persistent in the session as if just read, without a query. A change saved in another process shows within
    merchant_memory.SECONDS, as a revoked API key does."""
    loaded = session.identity_map.get(identity_key(Merchant, merchant_id))
    if loaded is not None:
        return loaded
    values = merchant_memory.recall("merchant", merchant_id, lambda: _column_values(session, merchant_id))
    if values is None:
        raise NotFound("商户不存在")
    return plain_rows.adopt(session, Merchant, merchant_id, dict(values))


def _column_values(session, merchant_id):
    columns = [column for column in Merchant.__table__.columns if column.key != "id"]
    row = session.execute(select(*columns).where(Merchant.id == merchant_id)).one_or_none()
    return None if row is None else tuple(zip((column.key for column in columns), row))


def by_slug(session, slug):
    merchant = session.scalars(select(Merchant).where(Merchant.slug == (slug or "").strip().lower())).one_or_none()
    if merchant is None:
        raise NotFound("商户不存在")
    return merchant


def create_merchant(session, slug, name, timezone=DEFAULT_TIMEZONE):
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise DomainError("商户号须为 2-40 位小写字母、数字或连字符")
    if session.scalars(select(Merchant.id).where(Merchant.slug == slug)).first():
        raise Conflict("商户号已存在")
    merchant = Merchant(slug=slug, name=_check_name(name), timezone=_check_timezone(timezone))
    session.add(merchant)
    session.flush()
    return merchant


def update_settings(session, actor, merchant, *, name, timezone, points_expiry_mode, points_expiry_days):
    if points_expiry_mode not in points_rules.EXPIRY_MODES:
        raise DomainError("未知的积分有效期规则")
    if points_expiry_mode == points_rules.EXPIRY_DAYS and not (points_expiry_days and 0 < points_expiry_days <= 3650):
        raise DomainError("积分有效天数须在 1 到 3650 之间")
    before = audit.snapshot(merchant, SETTINGS_FIELDS)
    merchant.name = _check_name(name)
    merchant.timezone = _check_timezone(timezone)
    merchant.points_expiry_mode = points_expiry_mode
    merchant.points_expiry_days = points_expiry_days if points_expiry_mode == points_rules.EXPIRY_DAYS else None
    after = audit.snapshot(merchant, SETTINGS_FIELDS)
    audit.record(session, actor, "merchant.settings", "merchant", merchant.id, *audit.changed_only(before, after))
    session.flush()
    return merchant


def update_credentials(session, actor, merchant, values):
    """Store the credentials present in `values`; a blank secret keeps the stored one.

    The audit names the fields that changed, never their values.
    """
    changed = []
    for field in CREDENTIAL_FIELDS:
        if field not in values:
            continue
        value = (values.get(field) or "").strip()
        if field in SECRET_FIELDS and not value:
            continue
        if len(value) > (64 if field in APP_ID_FIELDS else 4000):
            raise DomainError("凭证内容过长")
        if getattr(merchant, field) != (value or None):
            setattr(merchant, field, value or None)
            changed.append(field)
    if changed:
        audit.record(session, actor, "merchant.credentials", "merchant", merchant.id, after={"changed": changed})
    session.flush()
    return changed


def _check_name(name):
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("商户名称须为 1-100 个字符")
    return name


def _check_timezone(tz_name):
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DomainError("未知的时区") from None
    return tz_name
