"""The merchant's official-account and member-page settings (one row per merchant, created on first use)."""
from sqlalchemy.exc import IntegrityError

from domain.errors import DomainError
from models import WechatSettings
from models.h5 import NOTICE_KINDS
from services.merchant import audit
from services.shared.tenancy import scoped

DEFAULT_WELCOME = "欢迎关注！点击领取会员卡，享积分和会员专属优惠。"
DEFAULT_REPLY = "您好，消息已收到。回复「会员」查看会员卡。"
BEHAVIOUR_FIELDS = ("welcome_text", "default_reply", "oauth_userinfo", "notify_points", "notify_balance",
                    "notify_level", "notify_coupon", "template_ids")


def settings_for(session, merchant_id):
    row = _find(session, merchant_id)
    if row is None:
        # Two first requests may race to create the row: the loser reads the winner's.
        try:
            with session.begin_nested():
                row = WechatSettings(merchant_id=merchant_id, welcome_text=DEFAULT_WELCOME,
                                     default_reply=DEFAULT_REPLY, oauth_userinfo=False,
                                     notify_points=True, notify_balance=True, notify_level=True, notify_coupon=True,
                                     template_ids={}, menu=[])
                session.add(row)
                session.flush()
        except IntegrityError:
            row = _find(session, merchant_id)
    return row


def _find(session, merchant_id):
    return session.scalars(scoped(WechatSettings, merchant_id)).one_or_none()


def update_behaviour(session, actor, settings, *, welcome_text, default_reply, oauth_userinfo,
                     notify_points, notify_balance, notify_level, template_ids, notify_coupon=True):
    """Welcome and default replies, the login scope and the template notices (the registration and follow gifts
    are reward rules: services.rewards.rules)."""
    welcome_text, default_reply = (welcome_text or "").strip(), (default_reply or "").strip()
    if len(welcome_text) > 600 or len(default_reply) > 600:
        raise DomainError("回复内容不能超过 600 个字")
    cleaned_ids = {}
    for kind in NOTICE_KINDS:
        value = ((template_ids or {}).get(kind) or "").strip()
        if len(value) > 64:
            raise DomainError("模板 ID 不能超过 64 个字符")
        if value:
            cleaned_ids[kind] = value
    before = audit.snapshot(settings, BEHAVIOUR_FIELDS)
    settings.welcome_text, settings.default_reply = welcome_text, default_reply
    settings.oauth_userinfo = bool(oauth_userinfo)
    settings.notify_points, settings.notify_balance = bool(notify_points), bool(notify_balance)
    settings.notify_level, settings.template_ids = bool(notify_level), cleaned_ids
    settings.notify_coupon = bool(notify_coupon)
    session.flush()
    changes = audit.changed_only(before, audit.snapshot(settings, BEHAVIOUR_FIELDS))
    if changes[1]:
        audit.record(session, actor, "wechat.settings", "wechat_settings", settings.id, *changes)
    return settings
