"""Alipay 当面付 by the customer's payment code (alipay.trade.pay, scene bar_code) at the till, as
services/till/channels.py calls it: charge once per out_trade_no, ask about the trade, and cancel it (撤销).
Every answer is a Charge (channels/trade_answers.py); the client is channels/alipay.py.
"""
import logging
import re
from urllib.error import URLError

from alipay.exceptions import AliPayException, AliPayValidationError

from channels.alipay import client_for
from channels.trade_answers import Charge
from domain.errors import DomainError
from domain.money import format_yuan, parse_yuan

log = logging.getLogger(__name__)

PAYMENT_CODE = re.compile(r"^(2[5-9]|30)[0-9]{14,22}$")  # the customer's 付款码: 16-24 digits starting 25-30
BARCODE_MESSAGES = {
    "ACQ.PAYMENT_AUTH_CODE_INVALID": "付款码无效或已过期，请顾客刷新付款码后重新扫码",
    "ACQ.BUYER_BALANCE_NOT_ENOUGH": "顾客余额不足，请顾客更换付款方式",
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": "顾客银行卡余额不足，请顾客更换付款方式",
    "ACQ.TRADE_HAS_CLOSE": "该笔支付已关闭，请重新收款",
}
BARCODE_ERRORS = (AliPayException, AliPayValidationError, URLError, OSError, ValueError, KeyError)


def barcode_pay(merchant, *, out_trade_no, amount, auth_code, subject, client_ip=None):
    """Charge the customer's Alipay payment code once: a repeated out_trade_no is the same trade (client_ip: the
    same call as WeChat's micropay; Alipay's trade.pay takes none)."""
    try:
        result = client_for(merchant).api_alipay_trade_pay(out_trade_no, "bar_code", auth_code, subject,
                                                           total_amount=format_yuan(amount))
    except BARCODE_ERRORS as exc:
        log.warning("alipay trade.pay unclear for %s: %s", out_trade_no, exc)
        return Charge("unknown")
    code = result.get("code")
    if code == "10000":
        return _barcode_paid(result, out_trade_no)
    if code == "10003":
        return Charge("waiting")
    if code == "40004":
        return Charge("failed", message=BARCODE_MESSAGES.get(result.get("sub_code"))
                      or f"支付宝收款失败：{(result.get('sub_msg') or result.get('msg') or '未知原因')[:100]}")
    if code == "40002":
        return Charge("failed", message=f"支付宝拒绝请求：{(result.get('sub_msg') or '参数错误')[:100]}")
    return Charge("unknown")  # 20000 and anything else: ask again


def barcode_query(merchant, out_trade_no):
    try:
        result = client_for(merchant).api_alipay_trade_query(out_trade_no=out_trade_no)
    except BARCODE_ERRORS:
        return Charge("unknown")
    if result.get("code") != "10000":
        return Charge("absent") if result.get("sub_code") == "ACQ.TRADE_NOT_EXIST" else Charge("unknown")
    status = result.get("trade_status")
    if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return _barcode_paid(result, out_trade_no)
    if status == "WAIT_BUYER_PAY":
        return Charge("waiting")
    return Charge("failed", message="顾客未完成支付（交易已关闭）")


def barcode_cancel(merchant, out_trade_no):
    """撤销: an unpaid trade is closed, a paid one is given back. True once Alipay confirms."""
    try:
        result = client_for(merchant).api_alipay_trade_cancel(out_trade_no=out_trade_no)
    except BARCODE_ERRORS:
        return False
    return result.get("code") == "10000"


def _barcode_paid(result, out_trade_no):
    try:
        amount = parse_yuan(str(result.get("total_amount", "")))
    except DomainError:
        amount = None
    if result.get("out_trade_no") != out_trade_no or amount is None or not result.get("trade_no"):
        return Charge("unknown")
    return Charge("paid", trade_no=str(result["trade_no"])[:64], amount=amount)
