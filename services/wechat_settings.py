"""The merchant's official-account and member-page settings (one row per merchant, created on first use)."""
from models import WechatSettings
from services.tenancy import scoped

DEFAULT_WELCOME = "欢迎关注！点击领取会员卡，享积分和会员专属优惠。"
DEFAULT_REPLY = "您好，消息已收到。回复「会员」查看会员卡。"


def settings_for(session, merchant_id):
    row = session.scalars(scoped(WechatSettings, merchant_id)).one_or_none()
    if row is None:
        row = WechatSettings(merchant_id=merchant_id, welcome_text=DEFAULT_WELCOME, default_reply=DEFAULT_REPLY,
                             oauth_userinfo=False, registration_points=0, notify_points=True,
                             notify_balance=True, notify_level=True, template_ids={}, menu=[])
        session.add(row)
        session.flush()
    return row
