"""Member self-pay (自助买单): the member scans the store's QR, types the amount and pays at member prices.

The same till as the staff page and the JSON API (services/till/quote.py prices, services/till/payment.py
takes the payment) with the member acting for themself (MemberActor: no staff, no API key, source "h5").
With balance the checkout is taken here at once; with WeChat Pay or Alipay through an order
(services/till/self_pay_orders.py). Then the member's receipts.
"""
from dataclasses import dataclass

from sqlalchemy import select

from domain.errors import Conflict, DomainError, NotFound
from domain.money import format_yuan, parse_yuan
from models import Store
from models.checkout import Checkout
from services.till import checkout
from services.shared import idempotency
from services.shared.tenancy import get_owned

MAX_AMOUNT = 5_000_000  # ¥50,000: more than any shop takes from one member at once, a typo's guard


@dataclass(frozen=True)
class MemberActor:
    """A member paying for themself. `id` is None: nothing may record a member as staff or as an API key."""

    merchant_id: int
    member_id: int
    id = None
    is_member = True

    def can_act_in(self, store_id):
        return True  # any open store of the merchant; actor_store refuses a closed one


class PriceChanged(Conflict):
    """What the member saw is no longer the price: the page shows the new quote."""

    code = "price_changed"


def actor_for(member):
    return MemberActor(member.merchant_id, member.id)


def open_store(session, merchant, store_id):
    """The merchant's store for its pay QR; another merchant's is NotFound, a closed one says so."""
    store = get_owned(session, Store, merchant.id, store_id)
    if not store.active:
        raise Conflict("该门店已停用，暂不能买单")
    return store


def parse_amount(text):
    """The typed amount in fen: more than 0, at most MAX_AMOUNT, two decimals at most."""
    amount = parse_yuan(text)
    if amount <= 0:
        raise DomainError("请输入消费金额")
    if amount > MAX_AMOUNT:
        raise DomainError(f"单笔买单不能超过 ¥{format_yuan(MAX_AMOUNT)}")
    return amount


def quote(session, merchant, member, *, store_id, amount, tender, choice=None, seed=None, now=None):
    """What the member pays in this store with this tender, the cheapest way unless they picked `choice`."""
    return checkout.quote(session, merchant, actor_for(member), store_id=store_id, member_id=member.id,
                          amount=amount, tender=tender, choice=choice, seed=seed, now=now)


def replayed(session, merchant, member, key):
    """The checkout a first tap already made with this key (a double tap lands on its receipt), or None."""
    earlier = idempotency.find_existing(session, Checkout, merchant.id, key)
    return earlier if earlier is not None and earlier.member_id == member.id else None


def pay_with_balance(session, merchant, member, *, store_id, amount, choice, expected, key, now=None):
    """Take the payment from the member's balance; PriceChanged (nothing taken) when it is not `expected`."""
    earlier = replayed(session, merchant, member, key)
    if earlier is not None:
        return earlier
    answer = quote(session, merchant, member, store_id=store_id, amount=amount, tender="balance", choice=choice,
                   now=now)
    check_price(answer, expected)
    made = checkout.pay(session, merchant, actor_for(member), store_id=store_id, member_id=member.id,
                        amount=amount, tender="balance", choice=answer.quote.choice, seed=None, key=key, now=now)
    if made.pay != expected:  # re-priced under the member's lock and moved: the request rolls back
        raise PriceChanged("应付金额已变化，请核对后再支付")
    return made


def check_price(answer, expected):
    if answer.refusal:
        raise Conflict(answer.refusal)
    if answer.quote.pay != expected:
        raise PriceChanged("应付金额已变化，请核对后再支付")


def member_checkouts(session, merchant_id, member_id, limit=100):
    """The member's checkouts (消费记录), newest first."""
    return session.scalars(select(Checkout).where(Checkout.merchant_id == merchant_id,
                                                  Checkout.member_id == member_id)
                           .order_by(Checkout.created_at.desc(), Checkout.id.desc()).limit(limit)).all()


def member_receipt(session, merchant_id, member_id, checkout_id):
    """The receipt of one of the member's own checkouts; anyone else's is NotFound."""
    row = get_owned(session, Checkout, merchant_id, checkout_id)
    if row.member_id != member_id:
        raise NotFound("记录不存在")
    return checkout.receipt(session, merchant_id, row.id)
