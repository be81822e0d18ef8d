"""Refunds of paid orders (owner/admin), one entry `refund_order` dispatching by the order's kind.

Top-ups: the channel gives the money back (a counter top-up paid in cash or by bank card is handed back by the
operator, who is recorded: no channel is asked), the wallet gives back the principal,
and the bonus the top-up gave is taken back in proportion — never leaving the wallet negative.

What has been spent cannot be refunded: when the wallet's principal is below the amount asked, the refusal says
how much is left to refund. Bonus already spent cannot be taken back: that part is recorded as unrecoverable
and said.

Gift cards are not refundable once sold. Count, timed and benefit cards bought online: the card the order
issued is closed (a benefit card through benefit_refunds.refund, which also takes back its unused pack coupons)
and the merchant says how much goes back (the page suggests the unused share of a count card). Coupons bought
online: only the codes still unused are refunded; they are voided, and at most their price goes back.

One refund is one transaction: the order row is locked, the journal changes, the channel is asked last, and any
refusal from the channel rolls everything back. The channel treats a repeated out_refund_no as the same
refund, so a retry after a lost answer never pays twice. The order's row lock and the conditional updates
(refunded_amount within the amount, the card's or code's state) keep two refunds at once within the order.
A refund the channel has not finished stays "processing" until services.orders.refund_results settles it.
"""
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from channels import payment_channels
from domain import orders as order_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.money import format_yuan
from models import Card, Order, OrderRefund
from services.merchant import audit
from services.cards import benefit_refunds, count_timed_closing
from services.coupons import bought_codes
from services.recruitment import commission
from services.shared import idempotency
from services.wallet import journal as wallet
from services.shared.tenancy import get_owned
from services.shared.text import required_text

REFUNDABLE_STATES = (order_rules.PAID, order_rules.FULFILLED)
GIFT_CARD_REFUSAL = "礼品卡一经售出，不可退款"
CARD_KINDS = ("count_card", "timed_card", "benefit_card")


@dataclass(frozen=True)
class Plan:
    amount: int  # principal back to the payer
    bonus_wanted: int  # the bonus share of this amount
    bonus_back: int  # what the wallet still holds of it
    bonus_unrecoverable: int


def refundable_left(order):
    return order.amount - order.refunded_amount


def plan(session, order, amount):
    """What refunding `amount` of a top-up does to the member's wallet; refuses what cannot be done."""
    if order.kind != "topup":
        raise DomainError("只有储值充值订单可以在这里退款（礼品卡售出后不可退）")
    if order.state not in REFUNDABLE_STATES:
        raise Conflict(f"订单当前为「{order_rules.STATE_LABELS.get(order.state, order.state)}」，不能退款")
    left = refundable_left(order)
    if not isinstance(amount, int) or not 0 < amount <= left:
        raise DomainError(f"退款金额须在 ¥0.01 到 ¥{format_yuan(left)} 之间")
    purse = wallet.member_wallet(session, order.merchant_id, order.member_id)
    if purse.frozen:
        raise Conflict("储值账户已冻结，请先解冻再退款")
    if purse.principal < amount:
        raise Conflict(f"储值本金仅剩 ¥{format_yuan(purse.principal)}，其余已消费，最多可退 ¥{format_yuan(purse.principal)}")
    wanted = _bonus_share(session, order, amount)
    back = min(wanted, purse.bonus)
    return Plan(amount, wanted, back, wanted - back)


def _bonus_share(session, order, amount):
    """The top-up's bonus in proportion to `amount`; the last refund takes whatever share is left (a failed
    refund's share was put back, so it counts as not taken)."""
    bonus, principal = order.items.get("bonus", 0), order.items["principal"]
    taken = session.scalar(select(func.coalesce(func.sum(OrderRefund.bonus_back + OrderRefund.bonus_unrecoverable), 0))
                           .where(OrderRefund.order_id == order.id, OrderRefund.state != "failed"))
    if amount == refundable_left(order):
        return bonus - int(taken)
    return bonus * amount // principal


def refund_order(session, actor, order_id, amount, *, reason, key, ip=None, now=None):
    """Refund `amount` fen of a paid order of any kind. Returns the OrderRefund (the first one again for a
    repeated key); refuses gift cards and what the order's kind cannot give back."""
    order, reason, earlier = _begin(session, actor, order_id, amount, reason, key)
    if earlier is not None:
        return earlier
    if order.kind == "topup":
        return _refund_topup(session, actor, order, amount, reason, key, ip, now)
    if order.kind == "gift_card":
        raise DomainError(GIFT_CARD_REFUSAL)
    _check_state(order)
    _check_amount(amount, refundable_left(order))
    taken = TAKE_BACK[order.kind](session, actor, order, amount, reason, key, now or now_utc())
    record = _new_record(session, actor, order, amount, reason, key, now)
    _count_refunded(session, order, amount)
    _ask_channel(order, record, actor)
    audit.record(session, actor, "order.refund", "order", order.id, ip=ip,
                 after={"amount": amount, "kind": order.kind, "reason": reason, **taken})
    session.flush()
    return record


def refund_topup(session, actor, order_id, amount, *, reason, key, ip=None, now=None):
    """Refund `amount` fen of a paid top-up (other kinds are refused). Returns the OrderRefund."""
    order, reason, earlier = _begin(session, actor, order_id, amount, reason, key)
    if earlier is not None:
        return earlier
    return _refund_topup(session, actor, order, amount, reason, key, ip, now)


def _begin(session, actor, order_id, amount, reason, key):
    """Authorise, lock the order, and find a refund already made with this key: (order, reason, earlier)."""
    if not actor.can("orders.refund"):
        raise PermissionDenied("只有店主和管理员可以退款")
    idempotency.check_key(key)
    reason = required_text(reason, "退款原因", 200)
    order = get_owned(session, Order, actor.merchant_id, order_id, lock=True)
    earlier = idempotency.find_existing(session, OrderRefund, actor.merchant_id, key)
    if earlier is not None:
        return order, reason, idempotency.ensure_same_request(earlier, order_id=order.id, amount=amount)
    return order, reason, None


def _refund_topup(session, actor, order, amount, reason, key, ip, now):
    steps = plan(session, order, amount)
    record = _new_record(session, actor, order, amount, reason, key, now, steps)
    purse = wallet.member_wallet(session, order.merchant_id, order.member_id)
    txn = wallet.withdraw(session, order.merchant_id, purse.id, amount, steps.bonus_back, key=f"{key}:wallet",
                          reference=("order_refund", record.id), operator=actor, note=f"充值退款：{reason}")
    record.wallet_transaction_id = txn.id
    _count_refunded(session, order, amount)
    _ask_channel(order, record, actor)
    audit.record(session, actor, "order.refund", "order", order.id,
                 after={"amount": amount, "bonus_back": steps.bonus_back,
                        "bonus_unrecoverable": steps.bonus_unrecoverable, "reason": reason}, ip=ip)
    session.flush()
    return record


def _new_record(session, actor, order, amount, reason, key, now, steps=None):
    record = OrderRefund(merchant_id=order.merchant_id, order_id=order.id, amount=amount,
                         bonus_back=steps.bonus_back if steps else 0,
                         bonus_unrecoverable=steps.bonus_unrecoverable if steps else 0, reason=reason,
                         out_refund_no=_out_refund_no(order.merchant_id, key), state="processing", staff_id=actor.id,
                         idempotency_key=key, created_at=now or now_utc())
    session.add(record)
    session.flush()
    commission.reverse_for_order_refund(session, order, record, now)  # before the order counts it as refunded
    return record


def _check_state(order):
    if order.state not in REFUNDABLE_STATES:
        raise Conflict(f"订单当前为「{order_rules.STATE_LABELS.get(order.state, order.state)}」，不能退款")


def _check_amount(amount, most):
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= most:
        raise DomainError(f"退款金额须在 ¥0.01 到 ¥{format_yuan(most)} 之间")


# --- what each kind gives back --------------------------------------------------------------------------------

def _derived_key(key, part):
    """A key for the instrument's own ledger, derived from the refund's and short enough for any column."""
    return f"order-refund:{hashlib.sha256(key.encode()).hexdigest()[:40]}:{part}"


def _issued_card_id(order):
    card_id = (order.fulfilment or {}).get("card_id")
    if not card_id:
        raise Conflict("该订单还没有发卡，不能退款")
    return card_id


def _close_card(session, actor, order, amount, reason, key, now):
    """The card the order issued is closed; a benefit card keeps its own refund record and takes back the
    unused coupons of its gift pack."""
    card_id = _issued_card_id(order)
    if order.kind == "benefit_card":
        row = benefit_refunds.refund(session, actor, card_id, with_money=True, amount=amount, take_back_coupons=True,
                                     reason=reason, key=_derived_key(key, "card"), now=now, by_order_refund=True)
        return {"card_id": card_id, "coupons_taken_back": row.coupons_taken_back}
    card = count_timed_closing.close_for_refund(session, actor.merchant_id, card_id, now)
    return {"card_id": card.id, "uses_left": card.uses_left, "uses_total": card.uses_total}


def _void_codes(session, actor, order, amount, reason, key, now):
    """Only the codes still unused go back: they are voided, and at most their price is refunded."""
    ids = (order.fulfilment or {}).get("coupon_code_ids") or []
    unused = bought_codes.unused_of(session, order.merchant_id, ids, order.member_id)
    if not unused:
        raise Conflict("该订单的券已全部使用、转赠或作废，不能退款")
    _check_amount(amount, min(unit_price(order) * len(unused), refundable_left(order)))
    voided = bought_codes.void_for_refund(session, order.merchant_id, unused, order.member_id)
    if len(voided) != len(unused):  # one was used at the till meanwhile: say so rather than refund it
        raise Conflict("有券刚刚被使用，请刷新后重试")
    return {"coupon_code_ids": list(voided)}


def _self_pay(session, actor, order, amount, reason, key, now):
    """A self-pay order with its checkout recorded is refunded as that checkout (收银记录); one whose checkout
    could not be recorded is refunded in full here (services/till/self_pay_orders.py refund_unrecorded)."""
    if (order.fulfilment or {}).get("checkout_id"):
        raise Conflict(_self_pay_preview(order))
    return {"refund_reason": (order.fulfilment or {}).get("refund_reason", "")}


def _self_pay_preview(order):
    """What the back office's order page says instead of a refund form: a self-pay order is refunded as its
    checkout (收银记录), or was refunded in full already when its checkout could not be recorded."""
    done = order.fulfilment or {}
    if done.get("checkout_id"):
        return f"自助买单已入账（收银单号 {done['checkout_id']}），请在收银记录中退款"
    if done.get("refund_reason"):
        return f"支付后价格已变化（{done['refund_reason']}），未入账，已自动全额退款"
    return "订单尚未支付"


TAKE_BACK = {"count_card": _close_card, "timed_card": _close_card, "benefit_card": _close_card,
             "coupon": _void_codes, "self_pay": _self_pay}


def unit_price(order):
    items = order.items or {}
    return int(items.get("unit_price") or order.amount // max(1, int(items.get("quantity") or 1)))


def _out_refund_no(merchant_id, key):
    """Derived from the request key: when the channel's answer is lost (the refund may have happened), sending
    the same form again asks the channel about the same refund, which it answers without paying twice."""
    return "RF" + hashlib.sha256(f"{merchant_id}:{key}".encode()).hexdigest()[:30]


def _count_refunded(session, order, amount):
    """refunded_amount grows only within the order's amount; a whole refund ends the order (no more instalments)."""
    done = session.execute(
        update(Order).where(Order.id == order.id, Order.refunded_amount + amount <= Order.amount)
        .values(refunded_amount=Order.refunded_amount + amount,
                state=case((Order.refunded_amount + amount == Order.amount, order_rules.REFUNDED), else_=Order.state))
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("退款金额超过订单可退金额")
    session.expire(order)


def _ask_channel(order, record, actor):
    if order.channel in order_rules.COUNTER_CHANNELS:  # cash or a bank card taken by hand: handed back by hand
        record.state = "succeeded"
        return
    answer = payment_channels.channel_for(order.channel).refund(actor.merchant, order, record.amount,
                                                               record.out_refund_no, record.reason)
    record.channel_refund_id = answer.get("refund_id")
    record.state = "succeeded" if answer.get("status") == "succeeded" else "processing"


def refunds_of(session, merchant_id, order_id):
    return session.scalars(select(OrderRefund).where(OrderRefund.merchant_id == merchant_id,
                                                     OrderRefund.order_id == order_id).order_by(OrderRefund.id)).all()


# --- what the back-office form says before refunding -------------------------------------------------------------

def kind_preview(session, order):
    """For a card or coupon order: dict(most, suggested, statement) for the refund form; a refusal text for
    an order that cannot be refunded (a gift card; nothing left unused)."""
    if order.kind == "gift_card":
        return GIFT_CARD_REFUSAL
    if order.kind == "self_pay":
        return _self_pay_preview(order)
    left = refundable_left(order)
    if order.kind == "coupon":
        return _coupon_preview(session, order, left)
    card_id = (order.fulfilment or {}).get("card_id")
    card = get_owned(session, Card, order.merchant_id, card_id) if card_id else None
    if card is None:
        return "该订单还没有发卡，不能退款"
    if order.kind == "count_card" and card.uses_total:
        used = card.uses_total - (card.uses_left or 0)
        suggested = min(order.amount * (card.uses_left or 0) // card.uses_total, left)
        return {"most": left, "suggested": suggested,
                "statement": f"已使用 {used} 次（共 {card.uses_total} 次），按未使用次数建议退 ¥{format_yuan(suggested)}；"
                             f"退款后该卡作废。"}
    closing = "退款后该权益卡作废，随卡发放且未使用的优惠券一并收回。" if order.kind == "benefit_card" \
        else "退款后该卡作废。"
    if order.kind == "benefit_card" and card.template.membership:
        closing = "退款后付费会员立即结束，会员回到方案设置的过期后身份；随会员发放且未使用的优惠券一并收回。"
    return {"most": left, "suggested": None, "statement": closing}


def _coupon_preview(session, order, left):
    ids = (order.fulfilment or {}).get("coupon_code_ids") or []
    unused = bought_codes.unused_of(session, order.merchant_id, ids, order.member_id)
    if not unused:
        return "该订单的券已全部使用、转赠或作废，不能退款"
    most = min(unit_price(order) * len(unused), left)
    return {"most": most, "suggested": most,
            "statement": f"共 {len(ids)} 张，未使用 {len(unused)} 张，最多可退 ¥{format_yuan(most)}；"
                         f"退款后未使用的券全部作废。"}
