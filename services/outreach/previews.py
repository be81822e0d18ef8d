"""预览: a send's WeChat message to one follower (the operator's own WeChat, found by the phone of their member
account) before it goes to everyone; it takes nobody's monthly allowance."""
from wechatpy.exceptions import WeChatClientException

from domain.errors import DomainError
from domain.phone import normalise_mobile
from models import Merchant, Send
from services.outreach import inbound, wechat_batch
from services.shared.tenancy import get_owned


def send_preview(session, actor, send_id, mobile):
    send = get_owned(session, Send, actor.merchant_id, send_id)
    if send.channel == "sms":
        raise DomainError("短信群发没有微信预览")
    merchant = session.get(Merchant, actor.merchant_id)
    openid = inbound.follower_openid(session, merchant, normalise_mobile(mobile))
    if not openid:
        raise DomainError("该手机号的会员没有关注公众号，无法预览")
    try:
        wechat_batch.preview(session, merchant, send, openid)
    except WeChatClientException as exc:  # e.g. the 100 previews a day are used up
        raise DomainError(f"微信未能发送预览：{exc.errmsg}（{exc.errcode}）") from None
    return openid
