"""WeChat Pay 付款码支付 (micropay) at the till, as services/till/channels.py calls it: charge the customer's
payment code once per out_trade_no, ask about the trade, and reverse it (撤销). Every answer is a Charge
(channels/trade_answers.py); the client and its signatures are channels/wechat_pay.py.
"""
import re

import requests
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException

from channels.trade_answers import Charge
from channels.wechat import ChannelNotConfigured
from channels.wechat_pay import pay_client_for, refund_client_for

PAYMENT_CODE = re.compile(r"^1[0-5][0-9]{16}$")  # the customer's 付款码: 18 digits starting 10-15
MICROPAY_MESSAGES = {
    "AUTHCODEEXPIRE": "付款码已过期，请顾客刷新付款码后重新扫码",
    "AUTH_CODE_INVALID": "付款码无效，请顾客刷新付款码后重新扫码",
    "AUTH_CODE_ERROR": "付款码无效，请顾客刷新付款码后重新扫码",
    "NOTENOUGH": "顾客余额不足，请顾客更换银行卡或改用其他支付方式",
    "NOTSUPORTCARD": "顾客的银行卡不支持此笔支付，请顾客换卡",
    "ORDERREVERSED": "该笔支付已撤销，请重新收款",
    "ORDERCLOSED": "该笔支付已关闭，请重新收款",
    "BUYER_MISMATCH": "顾客与上次付款的微信用户不一致，请重新收款",
}
MICROPAY_UNKNOWN = ("SYSTEMERROR", "BANKERROR")
MICROPAY_FAILED_STATES = ("REVOKED", "CLOSED", "PAYERROR", "REFUND")


def micropay(merchant, *, out_trade_no, amount, auth_code, subject, client_ip):
    """Charge the customer's WeChat payment code once: a repeated out_trade_no is the same trade."""
    try:
        answer = pay_client_for(merchant).micropay.create(body=subject, total_fee=amount, auth_code=auth_code,
                                                          client_ip=client_ip, out_trade_no=out_trade_no)
    except WeChatPayException as exc:
        if exc.errcode == "USERPAYING":
            return Charge("waiting")
        if exc.return_code != "SUCCESS":
            return Charge("failed", message=f"微信支付暂时无法收款：{exc.return_msg or '通信失败'}")
        if exc.errcode in MICROPAY_UNKNOWN:
            return Charge("unknown")
        return Charge("failed", message=MICROPAY_MESSAGES.get(exc.errcode)
                      or f"微信支付失败：{exc.errmsg or exc.errcode or '未知原因'}")
    except (InvalidSignatureException, requests.RequestException):
        return Charge("unknown")
    return _paid(answer, out_trade_no)


def micropay_query(merchant, out_trade_no):
    try:
        answer = pay_client_for(merchant).micropay.query(out_trade_no=out_trade_no)
    except WeChatPayException as exc:
        return Charge("absent") if exc.errcode == "ORDERNOTEXIST" else Charge("unknown")
    except (InvalidSignatureException, requests.RequestException):
        return Charge("unknown")
    state = answer.get("trade_state")
    if state == "SUCCESS":
        return _paid(answer, out_trade_no)
    if state in MICROPAY_FAILED_STATES:
        return Charge("failed", message=f"顾客未完成支付（{answer.get('trade_state_desc') or state}）")
    return Charge("waiting")  # USERPAYING, NOTPAY: the payer is still at it


def micropay_reverse(merchant, out_trade_no):
    """撤销: an unpaid trade is closed, a paid one is given back. True once WeChat confirms."""
    try:
        answer = refund_client_for(merchant).order.reverse(out_trade_no=out_trade_no)
    except (WeChatPayException, InvalidSignatureException, requests.RequestException, ChannelNotConfigured):
        return False
    return answer.get("result_code") == "SUCCESS"


def _paid(answer, out_trade_no):
    """A signed "paid" must still be about this trade: the signature proves who spoke, not what about."""
    fee = str(answer.get("total_fee", ""))
    if answer.get("out_trade_no") != out_trade_no or not fee.isdigit() or not answer.get("transaction_id"):
        return Charge("unknown")
    return Charge("paid", trade_no=answer["transaction_id"][:64], amount=int(fee))
