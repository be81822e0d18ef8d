"""The life account's settings (one row per merchant, made on first use) and whether it can message anyone now."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from channels import alipay as alipay_channel
from domain.errors import DomainError
from models import MemberIdentity, Merchant
from models.alipay_life import LIFE_NOTICE_KINDS, AlipayLifeSettings
from services.merchant import audit
from services.shared.tenancy import scoped

SWITCHES = {"points_changed": "notify_points", "balance_changed": "notify_balance",
            "coupon_received": "notify_coupon", "level_up": "notify_level"}
FIELDS = ("enabled", "notify_points", "notify_balance", "notify_coupon", "notify_level", "template_ids")
TEMPLATE_ID_MAX = 64


def find(session, merchant_id):
    return session.scalars(scoped(AlipayLifeSettings, merchant_id)).one_or_none()


def settings_for(session, merchant_id):
    row = find(session, merchant_id)
    if row is None:
        try:  # two first requests may race to create the row: the loser reads the winner's
            with session.begin_nested():
                row = AlipayLifeSettings(merchant_id=merchant_id, enabled=False, notify_points=True,
                                         notify_balance=True, notify_coupon=True, notify_level=True,
                                         template_ids={})
                session.add(row)
                session.flush()
        except IntegrityError:
            row = find(session, merchant_id)
    return row


def save(session, actor, *, enabled, notify_points, notify_balance, notify_coupon, template_ids, notify_level=True):
    settings = settings_for(session, actor.merchant_id)
    cleaned = {}
    for kind in LIFE_NOTICE_KINDS:
        value = ((template_ids or {}).get(kind) or "").strip()
        if len(value) > TEMPLATE_ID_MAX:
            raise DomainError("模板 ID 不能超过 64 个字符")
        if value and not value.replace("_", "").replace("-", "").isalnum():
            raise DomainError("模板 ID 只含字母、数字、下划线或连字符")
        if value:
            cleaned[kind] = value
    merchant = session.get(Merchant, actor.merchant_id)
    if enabled and not alipay_channel.configured(merchant):
        raise DomainError("请先配置支付宝应用（AppID 与密钥），再开启生活号消息")
    before = audit.snapshot(settings, FIELDS)
    settings.enabled, settings.template_ids = bool(enabled), cleaned
    settings.notify_points, settings.notify_balance = bool(notify_points), bool(notify_balance)
    settings.notify_coupon, settings.notify_level = bool(notify_coupon), bool(notify_level)
    session.flush()
    changes = audit.changed_only(before, audit.snapshot(settings, FIELDS))
    if changes[1]:
        audit.record(session, actor, "alipay_life.settings", "alipay_life_settings", settings.id, *changes)
    return settings


def usable(session, merchant):
    """The merchant's settings when the life account can message members now (on, Alipay app configured)."""
    if merchant is None or not alipay_channel.configured(merchant):
        return None
    settings = find(session, merchant.id)
    return settings if settings is not None and settings.enabled else None


def notice_template(settings, kind):
    """The template id of a notice kind when the life account sends that kind, else None."""
    if settings is None or kind not in SWITCHES or not getattr(settings, SWITCHES[kind]):
        return None
    return (settings.template_ids or {}).get(kind) or None


def alipay_user_id(session, merchant_id, member_id):
    """The member's Alipay user_id (the newest active identity), or None."""
    return session.scalar(
        scoped(MemberIdentity, merchant_id).with_only_columns(MemberIdentity.value)
        .where(MemberIdentity.member_id == member_id, MemberIdentity.kind == "alipay_user_id",
               MemberIdentity.active.is_(True))
        .order_by(MemberIdentity.id.desc()).limit(1))


def alipay_users(merchant_id):
    """A subquery of (member_id, user_id) of the merchant's members with an Alipay identity, for the sends' plan."""
    return (select(MemberIdentity.member_id, func.max(MemberIdentity.value).label("user_id"))
            .where(MemberIdentity.merchant_id == merchant_id, MemberIdentity.kind == "alipay_user_id",
                   MemberIdentity.active.is_(True))
            .group_by(MemberIdentity.member_id).subquery("alipay_users"))
