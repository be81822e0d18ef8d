"""Orders a member pays for: kinds, the state machine, and the rules a payment notification must pass.

created -> paid -> fulfilled; created -> closed (unpaid past its time, or cancelled); paid/fulfilled -> refunded
(whole). A part refund keeps the state and raises `refunded_amount`. Amounts are integer fen, priced on the
server when the order is created and never taken from the browser.
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from domain.errors import Conflict

KINDS = ("topup", "gift_card", "timed_card", "count_card", "benefit_card", "coupon", "self_pay")
KIND_LABELS = {"topup": "储值充值", "gift_card": "礼品卡", "timed_card": "时长卡", "count_card": "次卡",
               "benefit_card": "权益卡", "coupon": "优惠券", "self_pay": "自助买单"}
CHANNELS = ("wechat", "alipay")
CHANNEL_LABELS = {"wechat": "微信支付", "alipay": "支付宝"}
# Paid at a store's counter and taken by hand (门店充值): no channel to ask, nothing to notify.
COUNTER_CHANNELS = ("cash", "bankcard")
COUNTER_CHANNEL_LABELS = {"cash": "现金", "bankcard": "银行卡"}
ORDER_CHANNELS = CHANNELS + COUNTER_CHANNELS
ORDER_CHANNEL_LABELS = {**CHANNEL_LABELS, **COUNTER_CHANNEL_LABELS}  # what an order list or page names its channel

CREATED, PAID, FULFILLED, CLOSED, REFUNDED = "created", "paid", "fulfilled", "closed", "refunded"
STATES = (CREATED, PAID, FULFILLED, CLOSED, REFUNDED)
STATE_LABELS = {CREATED: "待支付", PAID: "已支付", FULFILLED: "已完成", CLOSED: "已关闭", REFUNDED: "已退款"}
TRANSITIONS = {
    CREATED: frozenset({PAID, CLOSED}),
    PAID: frozenset({FULFILLED, REFUNDED}),
    FULFILLED: frozenset({REFUNDED}),
    CLOSED: frozenset(),
    REFUNDED: frozenset(),
}

UNPAID_TIMEOUT = timedelta(minutes=30)  # an order not paid by then is closed after asking the channel
CURRENCY = "CNY"


def can_move(current, target):
    return target in TRANSITIONS.get(current, frozenset())


def move(current, target):
    if not can_move(current, target):
        raise Conflict(f"订单当前状态为「{STATE_LABELS.get(current, current)}」，不能变为「{STATE_LABELS.get(target, target)}」",
                       current=current, target=target)
    return target


def new_out_trade_no():
    """32 characters at most (both channels' limit), unguessable, unique in practice: 'MC' + 30 hex digits."""
    return "MC" + secrets.token_hex(15)


@dataclass(frozen=True)
class Expected:
    """What a notification must match, taken from the order and the merchant's channel settings."""

    amount: int
    currency: str
    app_id: str
    merchant_no: str  # WeChat mch_id, or Alipay seller_id when the merchant configured one


def mismatch(expected: Expected, amount, currency, app_id, merchant_no):
    """The first field a notification gets wrong, or None. Checked after the signature, before anything else."""
    if amount != expected.amount:
        return "amount"
    if (currency or CURRENCY) != expected.currency:
        return "currency"
    if app_id != expected.app_id:
        return "app_id"
    if expected.merchant_no and merchant_no != expected.merchant_no:
        return "merchant_no"
    return None
