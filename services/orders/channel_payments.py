"""Orders and their payment channels: starting a payment (the order still payable, the payer's WeChat openid),
recording a channel's verified word that an order is paid with what the order expects, and settling an overdue
unpaid order by asking its channel (the periodic job jobs.payments.settle_overdue_orders).

The channels' own calls are in channels/wechat_pay_trades.py and channels/alipay_trades.py; every payment ends
in services.orders.settlement.record_payment, which checks amount, currency, app id and merchant number, drops a
repeat and fulfils.
"""
import logging

from sqlalchemy import select

from channels import alipay_trades, wechat_pay_trades
from domain import orders as rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError
from models import MemberIdentity, Merchant
from services.orders import orders, settlement

log = logging.getLogger(__name__)


# --- starting a payment -------------------------------------------------------------------------------------

def payer_openid(session, merchant, member_id):
    """The member's openid under the merchant's official account: JSAPI pays as that WeChat user."""
    return session.scalars(select(MemberIdentity.value).where(
        MemberIdentity.merchant_id == merchant.id, MemberIdentity.member_id == member_id,
        MemberIdentity.kind == "wechat_openid", MemberIdentity.app_id == (merchant.wechat_app_id or ""),
        MemberIdentity.active.is_(True)).order_by(MemberIdentity.id.desc()).limit(1)).first()


def start_wechat(session, merchant, order, client_ip):
    """WeChat's JSAPI payment (prepay_id and signed parameters) for a created, unexpired order, paid as the
    member's WeChat user; a repeated identical request gets the same prepay_id back."""
    if order.state != rules.CREATED or order.expires_at <= now_utc():
        raise Conflict("订单已支付、已关闭或已超时，请重新下单", state=order.state)
    openid = payer_openid(session, merchant, order.member_id)
    if not openid:
        raise DomainError("请在微信中打开会员中心后再支付")
    return wechat_pay_trades.create_jsapi_order(merchant, order, openid=openid, client_ip=client_ip)


def start_alipay(merchant, order, return_url):
    """Alipay's wap cashier URL for a created order; Alipay sends the browser back to `return_url`."""
    if order.state != rules.CREATED:
        raise Conflict("订单已支付或已关闭，无需再次支付", state=order.state)
    return alipay_trades.wap_pay_url(merchant, order, return_url)


# --- recording a verified payment ---------------------------------------------------------------------------

def wechat_expected(merchant, order):
    return rules.Expected(amount=order.amount, currency=order.currency, app_id=merchant.wechat_app_id,
                          merchant_no=merchant.wechat_pay_mch_id)


def alipay_expected(merchant, order):
    return rules.Expected(amount=order.amount, currency=order.currency, app_id=merchant.alipay_app_id or "",
                          merchant_no=merchant.alipay_seller_id or "")


def record(session, merchant, order, paid, expected):
    """settlement.record_payment with what the channel said (a PaidTrade) and what the order expects: True when this
    paid the order, False for a repeat; PaymentMismatch or Conflict (closed) otherwise, nothing changed."""
    return settlement.record_payment(session, merchant, order, amount=paid.amount, currency=paid.currency,
                                 app_id=paid.app_id, merchant_no=paid.merchant_no, channel_trade_no=paid.trade_no,
                                 payer=paid.payer, expected=expected)


def settle_wechat(session, merchant, order, data):
    """Record a verified 'paid' from WeChat (a notification or an order query): (outcome, detail), outcome one
    of accepted, duplicate, mismatch or error.

    A refused payment is undone to a savepoint, so that nothing record_payment did is kept with the notification
    row (or the job's commit) that follows; the caller's transaction goes on."""
    try:
        with session.begin_nested():
            paid = record(session, merchant, order, wechat_pay_trades.paid_trade(data),
                          wechat_expected(merchant, order))
    except orders.PaymentMismatch as exc:
        return "mismatch", str(exc)
    except Conflict as exc:
        return "error", str(exc)
    return ("accepted", None) if paid else ("duplicate", None)


# --- an overdue order, settled by asking its channel ----------------------------------------------------------

def settle_by_query(session, order):
    """Ask the channel about an overdue unpaid order (orders.overdue decides which): paid -> record it, as a
    notification would; unpaid -> close it there, then here. Flushes, never commits. Returns what happened."""
    merchant = session.get(Merchant, order.merchant_id)
    return SETTLE_BY_QUERY[order.channel](session, merchant, order)


def _settle_wechat(session, merchant, order):
    """paid, duplicate, closed, unchanged, pending or mismatch (see settle_wechat). A WeChat refusal other than
    ORDERNOTEXIST, a bad signature or the network raises: the job tries again next period."""
    answer = wechat_pay_trades.query_order(merchant, order.out_trade_no)
    state = answer.get("trade_state")
    if state == "SUCCESS":
        outcome, _detail = settle_wechat(session, merchant, order, answer)
        return {"accepted": "paid"}.get(outcome, outcome)
    if state in wechat_pay_trades.CLOSABLE_STATES or state == "ORDERNOTEXIST":
        if state not in ("CLOSED", "ORDERNOTEXIST"):
            wechat_pay_trades.close_order(merchant, order.out_trade_no)
        return "closed" if settlement.close_if_unpaid(session, order) else "unchanged"
    return "pending"  # USERPAYING: the member is entering the password right now


def _settle_alipay(session, merchant, order):
    """"paid", "closed" or "pending" (Alipay could not say; asked again on the next run). Raises PaymentMismatch
    when a paid trade disagrees with the order, ChannelNotConfigured when the merchant has no Alipay app."""
    trade = alipay_trades.query_trade(merchant, order.out_trade_no)
    if trade is None:
        return "pending"
    status = trade.get("trade_status") if trade.get("code") == "10000" else None
    if status in alipay_trades.PAID_STATUSES:
        record(session, merchant, order, alipay_trades.paid_from_query(merchant, trade),
               alipay_expected(merchant, order))
        return "paid"
    if status is None and trade.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
        log.warning("alipay trade.query unclear for %s: %s", order.out_trade_no, trade)
        return "pending"
    if status in (None, "WAIT_BUYER_PAY") and not alipay_trades.close_trade(merchant, order.out_trade_no):
        return "pending"
    settlement.close_if_unpaid(session, order)
    return "closed"


SETTLE_BY_QUERY = {"wechat": _settle_wechat, "alipay": _settle_alipay}
