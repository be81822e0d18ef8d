"""Merchants (tenants) and their settings."""
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from domain import credentials as credential_rules, points as points_rules
from domain.clock import DEFAULT_TIMEZONE
from domain.errors import Conflict, DomainError, NotFound
from models import Merchant
from services.merchant import audit
from services.shared import merchant_memory, plain_rows

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
SETTINGS_FIELDS = ("name", "timezone", "points_expiry_mode", "points_expiry_days")
CREDENTIAL_FIELDS = ("wechat_app_id", "wechat_app_secret", "wechat_token", "wechat_aes_key", "wechat_message_mode",
                     "alipay_app_id", "alipay_private_key", "alipay_public_key",
                     "wechat_pay_mch_id", "wechat_pay_api_key")
APP_ID_FIELDS = ("wechat_app_id", "alipay_app_id", "wechat_pay_mch_id", "wechat_message_mode")  # short columns
SECRET_FIELDS = ("wechat_app_secret", "wechat_token", "wechat_aes_key", "alipay_private_key", "wechat_pay_api_key")
REQUIRED_FIELDS = ("wechat_message_mode",)  # a blank one keeps the stored value, like a secret


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

    Every value must have its channel's shape (domain.credentials); on the first bad one nothing is stored and
    the refusal names each bad field (`fields`, for the form). The audit names the fields that changed, never
    their values.
    """
    entered = {field: (values.get(field) or "").strip() for field in CREDENTIAL_FIELDS if field in values}
    entered = {field: value for field, value in entered.items()
               if value or field not in SECRET_FIELDS + REQUIRED_FIELDS}
    if any(len(value) > (64 if field in APP_ID_FIELDS else 4000) for field, value in entered.items()):
        raise DomainError("凭证内容过长")
    # Only what changes is checked: a value stored before these rules (shown again in the form) does not block
    # saving the others.
    new_values = {field: value for field, value in entered.items() if getattr(merchant, field) != (value or None)}
    problems = credential_rules.problems(new_values)
    if problems:
        raise DomainError(next(iter(problems.values())), fields=problems)
    _check_message_mode(merchant, entered)  # the mode chosen now, even unchanged, must be one that can work
    for field, value in new_values.items():
        setattr(merchant, field, value or None)
    changed = list(new_values)
    if changed:
        audit.record(session, actor, "merchant.credentials", "merchant", merchant.id, after={"changed": changed})
    session.flush()
    return changed


def _check_message_mode(merchant, entered):
    """Compatible and safe mode need an EncodingAESKey: the one entered now, or the stored one it keeps."""
    if not ("wechat_message_mode" in entered or "wechat_aes_key" in entered):
        return
    mode = entered.get("wechat_message_mode") or merchant.wechat_message_mode
    keys = entered.get("wechat_aes_key") or merchant.wechat_aes_key or ""
    reason = credential_rules.mode_problem(mode, [key for key in keys.split(",") if key.strip()])
    if reason:
        raise DomainError(reason, fields={"wechat_message_mode": reason})


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
