"""Calling Alipay's voucher methods through python-alipay-sdk, and saying a refusal in words."""
import logging
from urllib.error import URLError

from alipay.exceptions import AliPayException, AliPayValidationError

from channels.alipay import client_for
from channels.wechat import ChannelNotConfigured
from domain.errors import DomainError

log = logging.getLogger(__name__)
PREFIX = "alipay.marketing.activity.ordervoucher."


class AlipayRefused(DomainError):
    """Alipay answered with an error (its sub_code kept), or could not be reached or verified."""

    code = "alipay_voucher_refused"
    http_status = 502

    def __init__(self, message, sub_code=None):
        super().__init__(message)
        self.sub_code = sub_code


def call(merchant, method, biz):
    """The answer of `alipay.marketing.activity.ordervoucher.<method>`; raises AlipayRefused."""
    try:
        result = client_for(merchant).server_api(PREFIX + method, biz_content=biz)
    except ChannelNotConfigured as exc:
        raise AlipayRefused(exc.message) from None
    except AliPayValidationError:
        raise AlipayRefused("支付宝返回的数据验签失败") from None
    except (AliPayException, URLError, OSError, ValueError, KeyError) as exc:
        log.warning("alipay %s failed for merchant %s: %s", method, merchant.id, exc)
        raise AlipayRefused("无法连接支付宝，请稍后再试") from None
    if result.get("code") != "10000":
        sub_code = result.get("sub_code")
        raise AlipayRefused(f"支付宝拒绝：{result.get('sub_msg') or result.get('msg')}（{sub_code}）", sub_code)
    return result
