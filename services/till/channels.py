"""WeChat Pay and Alipay at the till: charge the customer's payment code (付款码) for a priced checkout.

The flow, one `attempt` per request:
1. A checkout already recorded under the (merchant, idempotency key) is the answer: a retry charges nothing.
2. The payment is re-quoted on the server (never the till's figure); a refusal stops here, nothing charged.
3. The channel trade number (out_trade_no) is derived from the merchant and the idempotency key, so every
   retry of one request names the same trade. The channel is asked about it first (a retry after a lost answer,
   or the follow-up of a payer entering a password); only a trade it does not know is charged.
4. Paid: the checkout is recorded by services.till.payment.pay (tender wechat/alipay) inside a savepoint,
   with the trade numbers on the row. If recording fails although the money was taken (the price changed, a
   coupon was used meanwhile) or records another amount, the trade is reversed (WeChat 撤销 / Alipay
   trade.cancel give a paid trade's money back) and the cashier is told so.
5. Waiting (USERPAYING, or no trustworthy answer): the caller asks again. `charge` (the JSON API) polls every
   TILL_POLL_SECONDS (default 2) for up to TILL_PAY_WAIT_SECONDS (default 30); the staff page re-posts
   while it shows "等待顾客输入密码…". With `give_up`, a trade still not paid is reversed and refused.
6. Failed (bad or expired code, insufficient funds): ChannelRefused with the channel's reason; nothing recorded.
   The trade number is spent, so the caller retries with a new key (the staff page mints one).

Refunds of such a checkout go back through the channel: services/till/channel_refunds.py.
"""
import hashlib
import time
from dataclasses import dataclass


from channels import alipay_barcode, wechat_micropay
from domain.errors import Conflict, DomainError
from domain.money import format_yuan
from models.checkout import TENDER_LABELS, Checkout
from services.till import checkout as pricing_service, payment as checkout_payment
from services.shared import host, idempotency

CHANNEL_TENDERS = ("wechat", "alipay")
CODE_SHAPES = {"wechat": wechat_micropay.PAYMENT_CODE, "alipay": alipay_barcode.PAYMENT_CODE}
CODE_RULES = {"wechat": "微信付款码为 18 位数字，以 10–15 开头", "alipay": "支付宝付款码为 16–24 位数字，以 25–30 开头"}


@dataclass(frozen=True)
class Channel:
    """One channel's three calls, each returning channels.trade_answers.Charge (reverse: True once confirmed)."""

    charge: object  # (merchant, *, out_trade_no, amount, auth_code, subject, client_ip)
    query: object  # (merchant, out_trade_no)
    reverse: object  # (merchant, out_trade_no)


CHANNELS = {"wechat": Channel(wechat_micropay.micropay, wechat_micropay.micropay_query,
                              wechat_micropay.micropay_reverse),
            "alipay": Channel(alipay_barcode.barcode_pay, alipay_barcode.barcode_query, alipay_barcode.barcode_cancel)}


class ChannelRefused(Conflict):
    """The channel did not take the money (or gave it back): nothing is recorded."""

    code = "payment_code_refused"


@dataclass(frozen=True)
class Attempt:
    checkout: Checkout | None  # recorded (paid), or None while the payer is still entering a password
    waiting: bool


def trade_number(merchant_id, key):
    """32 characters, within both channels' limits; the same request key always names the same trade."""
    return "CK" + hashlib.sha256(f"{merchant_id}:{key}".encode()).hexdigest()[:30]


def check_code(tender, auth_code):
    code = (auth_code or "").strip()
    if not CODE_SHAPES[tender].match(code):
        raise DomainError(f"付款码格式不正确：{CODE_RULES[tender]}", field="auth_code")
    return code


def attempt(session, merchant, actor, *, store_id, member_id, amount, tender, choice, seed, key, auth_code,
            note=None, give_up=False, client_ip="127.0.0.1", now=None):
    """One step of charging a payment code (see the module docstring): Attempt(checkout, waiting)."""
    if tender not in CHANNEL_TENDERS:
        raise DomainError("付款码收款只支持微信支付和支付宝")
    idempotency.check_key(key)
    earlier = idempotency.find_existing(session, Checkout, merchant.id, key)
    if earlier is not None:
        return Attempt(idempotency.ensure_same_request(earlier, member_id=member_id, store_id=store_id,
                                                       amount=amount, tender=tender), False)
    code = check_code(tender, auth_code)
    answer = pricing_service.quote(session, merchant, actor, store_id=store_id, member_id=member_id, amount=amount,
                                   tender=tender, choice=choice, seed=seed, now=now)
    if answer.refusal:
        raise Conflict(answer.refusal)
    request = dict(store_id=store_id, member_id=member_id, amount=amount, tender=tender,
                   choice=answer.quote.choice, seed=seed, key=key, note=note, now=now)
    if answer.quote.pay == 0:  # wholly paid by discounts: nothing to charge
        return Attempt(checkout_payment.pay(session, merchant, actor, **request), False)
    channel, out_trade_no = CHANNELS[tender], trade_number(merchant.id, key)
    told = channel.query(merchant, out_trade_no)
    if told.state == "absent":
        told = channel.charge(merchant, out_trade_no=out_trade_no, amount=answer.quote.pay, auth_code=code,
                              subject=f"{merchant.name} 消费"[:120], client_ip=client_ip)
    if told.state in ("waiting", "unknown"):
        if not give_up:
            return Attempt(None, True)
        told = channel.query(merchant, out_trade_no)  # a last look: the password may have come just now
        if told.state != "paid":
            raise ChannelRefused(undone(channel, merchant, out_trade_no, tender, "顾客未在规定时间内完成支付"))
    if told.state != "paid":
        raise ChannelRefused(told.message or "收款失败，请重新扫码")
    return Attempt(_record(session, merchant, actor, request, channel, out_trade_no, told), False)


def _record(session, merchant, actor, request, channel, out_trade_no, told):
    """The paid trade as a checkout, in a savepoint: what cannot be recorded as charged is reversed."""
    try:
        with session.begin_nested():
            made = checkout_payment.pay(session, merchant, actor, **request)
            if made.out_trade_no == out_trade_no:  # a concurrent request with this key recorded this trade
                return made
            if made.pay != told.amount or made.balance_paid:
                raise Conflict(f"实收金额 ¥{format_yuan(told.amount)} 与应付金额不一致")
            made.out_trade_no, made.channel_trade_no = out_trade_no, told.trade_no
            session.flush()
    except DomainError as exc:
        raise ChannelRefused(undone(channel, merchant, out_trade_no, request["tender"],
                                    f"收款后记账失败（{exc.message}）")) from None
    return made


def undone(channel, merchant, out_trade_no, tender, why):
    """Reverse the trade and say what happened to the customer's money (the counter top-up reverses its own too)."""
    label = TENDER_LABELS[tender]
    if channel.reverse(merchant, out_trade_no):
        return f"{why}，已撤销该笔{label}交易，已扣的款项原路退回顾客；请重新收款"
    return f"{why}，但{label}撤销未成功：请在{label}商户平台核实交易 {out_trade_no}，已扣款须为顾客退款"


def charge(session, merchant, actor, *, wait_seconds=None, poll_seconds=None, **request):
    """attempt(), polled while the payer enters a password, then given up (the JSON API waits in one request)."""
    wait = host.setting("TILL_PAY_WAIT_SECONDS", 30) if wait_seconds is None else wait_seconds
    poll = host.setting("TILL_POLL_SECONDS", 2) if poll_seconds is None else poll_seconds
    deadline = time.monotonic() + wait
    while True:
        step = attempt(session, merchant, actor, give_up=time.monotonic() >= deadline, **request)
        if not step.waiting:
            return step.checkout
        time.sleep(min(poll, max(deadline - time.monotonic(), 0)))
