"""One call to Alipay's card API through the merchant's python-alipay-sdk client, its answer or a refusal in words."""
import logging
from dataclasses import dataclass
from urllib.error import URLError

from alipay.exceptions import AliPayException, AliPayValidationError

log = logging.getLogger(__name__)
UNREACHABLE = "无法连接支付宝服务器"


@dataclass(frozen=True)
class Answer:
    body: dict
    error: str | None = None  # Alipay's refusal or an unreachable Alipay, in words
    sub_code: str | None = None


def call(client, method, biz_content):
    """The answer's body when Alipay says 10000; else an Answer with `error` (and Alipay's sub_code)."""
    try:
        body = client.server_api(method, biz_content=biz_content)
    except AliPayValidationError:
        log.warning("alipay %s: the answer's signature is not Alipay's", method)
        return Answer({}, "支付宝返回的数据验签失败")
    except (AliPayException, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay %s failed: %s", method, exc)
        return Answer({}, UNREACHABLE)
    if str(body.get("code")) == "10000":
        return Answer(body)
    sub_code = body.get("sub_code") or body.get("code") or ""
    message = body.get("sub_msg") or body.get("msg") or "未知错误"
    return Answer(body, f"{message}（{sub_code}）", sub_code)
