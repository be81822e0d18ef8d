"""The merchant's Alipay life account (生活号) as services call it: a template message to one user
(`alipay.open.public.message.single.send`) and a text message to one user (`alipay.open.public.message.custom.send`),
both through the merchant's python-alipay-sdk client (channels/alipay.py), which signs the request and verifies
Alipay's signed answer.

Alipay answers a refusal in the body (code other than 10000, with sub_code and sub_msg): it is raised as
`LifeAccountRefused`, carrying Alipay's words and whether trying again later can help. A user who does not follow the
life account (PUB.MSG_SD_NOFOLLOW) or a bad template will be refused again, so those are final.
"""
import logging

from channels.alipay import client_for
from channels.alipay_trades import CALL_ERRORS

log = logging.getLogger(__name__)

SINGLE_SEND = "alipay.open.public.message.single.send"
CUSTOM_SEND = "alipay.open.public.message.custom.send"
NOT_FOLLOWING = "PUB.MSG_SD_NOFOLLOW"
HEAD_COLOR = "#1677FF"
# Alipay's system errors (20000 服务不可用, 20001 授权权限不足 may be transient too) are worth another try later.
RETRYABLE_CODES = ("20000",)


class LifeAccountRefused(Exception):
    """Alipay refused the message: `words` is its own explanation, `final` says a retry cannot help."""

    def __init__(self, code, sub_code, words, final):
        super().__init__(words)
        self.code, self.sub_code, self.words, self.final = code, sub_code, words, final


class LifeAccountUnreachable(Exception):
    """No answer that could be trusted (network, a bad signature): try again later."""


def template_context(lines, url, action_name="查看详情"):
    """Alipay's template context from (first, keyword1.., remark) lines and the link the message opens."""
    first, *keywords, remark = lines
    context = {"head_color": HEAD_COLOR, "url": url, "action_name": action_name,
               "first": {"color": "#333333", "value": first}, "remark": {"color": "#999999", "value": remark}}
    context.update({f"keyword{i}": {"color": "#333333", "value": value} for i, value in enumerate(keywords, 1)})
    return context


def send_template(merchant, user_id, template_id, context):
    """Send a template message; returns Alipay's msg_id (or '' when its answer carries none)."""
    return _call(merchant, SINGLE_SEND, {"to_user_id": user_id,
                                         "template": {"template_id": template_id, "context": context}})


def send_text(merchant, user_id, content):
    """Send a text message to one follower of the life account (a send's message to one recipient)."""
    return _call(merchant, CUSTOM_SEND, {"to_user_id": user_id, "msg_type": "text", "text": {"content": content},
                                         "chat": "0"})


def _call(merchant, method, biz_content):
    try:
        answer = client_for(merchant).server_api(method, biz_content=biz_content)
    except CALL_ERRORS as exc:
        log.warning("alipay %s failed for app %s: %s", method, merchant.alipay_app_id, exc)
        raise LifeAccountUnreachable(f"支付宝未能应答：{type(exc).__name__}") from None
    code = str(answer.get("code", ""))
    if code != "10000":
        words = answer.get("sub_msg") or answer.get("msg") or "支付宝拒绝了该消息"
        sub_code = answer.get("sub_code") or ""
        raise LifeAccountRefused(code, sub_code, f"{words}（{sub_code or code}）", final=code not in RETRYABLE_CODES)
    return str(answer.get("msg_id") or "")
